package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The processor's Kafka Streams settings, read back through Kafka Streams' own per-client configs. */
class EmbedStreamsConfigTest {

    private static final Path STATE = Path.of("target", "streams-config-test");

    @Test
    void anInstanceIdMakesEachStreamThreadAStaticMemberOfTheGroup() {
        StreamsConfig config = new StreamsConfig(EmbedProcessor.streamsConfig("localhost:9092", "pirstream-embed-v1",
                " compose-embed-1 ", STATE, 8, (short) 1));

        Map<String, Object> thread1 = config.getMainConsumerConfigs("pirstream-embed-v1", "client", 1);
        Map<String, Object> thread2 = config.getMainConsumerConfigs("pirstream-embed-v1", "client", 2);
        assertThat(thread1).containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "compose-embed-1-1");
        assertThat(thread2).containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "compose-embed-1-2");
        // restore and global consumers are not group members
        assertThat(config.getRestoreConsumerConfigs("client")).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    }

    @Test
    void withoutAnInstanceIdMembershipStaysDynamic() {
        for (String none : new String[] {"", "  ", null}) {
            StreamsConfig config = new StreamsConfig(EmbedProcessor.streamsConfig("localhost:9092",
                    "pirstream-embed-v1", none, STATE, 8, (short) 1));
            assertThat(config.getMainConsumerConfigs("pirstream-embed-v1", "client", 1).get(
                    ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)).as("instance id '%s'", none).isNull();
        }
    }
}
