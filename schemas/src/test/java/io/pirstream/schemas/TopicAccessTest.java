package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class TopicAccessTest {

    @Test
    void onlyIngestWritesChipsAndOnlyEmbedWritesEmbeddings() {
        assertThat(writers(topic(Topics.CHIPS.name()))).as("writers of pir.chips")
                .containsExactly(TopicAccess.Service.INGEST);
        assertThat(writers(new ResourcePattern(ResourceType.TOPIC, Topics.EMBEDDINGS_PREFIX, PatternType.PREFIXED)))
                .as("writers of pir.embeddings.*").containsExactly(TopicAccess.Service.EMBED);
        assertThat(writers(topic(Topics.QUERIES.name()))).as("writers of pir.queries")
                .containsExactly(TopicAccess.Service.QUERY);
    }

    @Test
    void everyCoreTopicHasAWriterAndTheDlqIsNeverRead() {
        for (Topic<?, ?> topic : Topics.core()) {
            if (topic == Topics.MODELS) {
                assertThat(writers(topic(topic.name()))).as("pir.models belongs to the fine-tune job and the operators")
                        .containsExactlyInAnyOrder(TopicAccess.Service.FINETUNE, TopicAccess.Service.ADMIN);
                continue;
            }
            assertThat(writers(topic(topic.name()))).as("writers of " + topic.name()).isNotEmpty();
        }
        for (TopicAccess.Service service : TopicAccess.Service.values()) {
            assertThat(operations(service, topic(Topics.DLQ.name()))).as(service + " on pir.dlq")
                    .doesNotContain(AclOperation.READ);
        }
    }

    @Test
    void streamsApplicationsGetTheirGroupInternalTopicsAndTransactionalIds() {
        assertThat(operations(TopicAccess.Service.EMBED, new ResourcePattern(ResourceType.GROUP,
                TopicAccess.EMBED_APPLICATION_ID, PatternType.PREFIXED))).as("embed's groups, one per release")
                .contains(AclOperation.READ);
        assertThat(operations(TopicAccess.Service.EMBED, new ResourcePattern(ResourceType.TOPIC,
                TopicAccess.EMBED_APPLICATION_ID + "-", PatternType.PREFIXED))).as("embed's internal topics")
                .containsExactly(AclOperation.ALL);
        assertThat(operations(TopicAccess.Service.QUERY, new ResourcePattern(ResourceType.TRANSACTIONAL_ID,
                TopicAccess.ALERTS_APPLICATION_ID + "-", PatternType.PREFIXED))).as("the exactly-once alert matcher")
                .contains(AclOperation.WRITE);
        assertThat(TopicAccess.aclBindings(TopicAccess.Service.INGEST, "ingest")).as("ACL bindings")
                .allSatisfy(binding -> assertThat(binding.entry().principal()).as("principal").isEqualTo("User:ingest"));
    }

    private static ResourcePattern topic(String name) {
        return new ResourcePattern(ResourceType.TOPIC, name, PatternType.LITERAL);
    }

    private static List<TopicAccess.Service> writers(ResourcePattern resource) {
        return List.of(TopicAccess.Service.values()).stream()
                .filter(service -> operations(service, resource).contains(AclOperation.WRITE)).toList();
    }

    private static Set<AclOperation> operations(TopicAccess.Service service, ResourcePattern resource) {
        return TopicAccess.grants(service).stream().filter(grant -> grant.resource().equals(resource))
                .findFirst().map(TopicAccess.Grant::operations).orElse(Set.of());
    }
}
