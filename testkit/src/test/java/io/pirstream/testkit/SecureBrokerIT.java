package io.pirstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded broker with SASL/SCRAM and ACLs: each service's principal may do what {@link TopicAccess} says. */
class SecureBrokerIT {

    private static EmbeddedKafkaBroker broker;
    private static KafkaClientSecurity ingest;
    private static KafkaClientSecurity query;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().optSaslScram(password()).build().start();
        broker.ensureTopics(Topics.core());
        ingest = broker.addServicePrincipal(TopicAccess.Service.INGEST, password());
        query = broker.addServicePrincipal(TopicAccess.Service.QUERY, password());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void ingestWritesChipsInATransactionAndQueryCannotWriteThem() throws Exception {
        try (KafkaProducer<String, String> producer = producer(ingest, TopicAccess.INGEST_TRANSACTIONAL_ID_PREFIX + "it")) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(Topics.CHIPS.name(), "chip", "bytes"));
            producer.commitTransaction();
        }
        try (KafkaProducer<String, String> producer = producer(query, null)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.CHIPS.name(), "chip", "forged")).get(10,
                    TimeUnit.SECONDS)).as("the query principal writing pir.chips")
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(query.apply(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers())),
                new StringDeserializer(), new StringDeserializer())) {
            assertThatThrownBy(() -> consumer.partitionsFor(Topics.CHIPS.name(), Duration.ofSeconds(10)))
                    .as("the query principal reading pir.chips").isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void ingestCannotWriteAnotherServicesTopicNorUseAnotherTransactionalId() {
        try (KafkaProducer<String, String> producer = producer(ingest, null)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.QUERIES.name(), "q", "v")).get(10,
                    TimeUnit.SECONDS)).as("the ingest principal writing pir.queries")
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaProducer<String, String> producer = producer(ingest, TopicAccess.EMBED_APPLICATION_ID + "-x")) {
            assertThatThrownBy(producer::initTransactions).as("ingest taking the embed-processor's transactional id")
                    .isInstanceOf(org.apache.kafka.common.errors.TransactionalIdAuthorizationException.class);
        }
    }

    @Test
    void clientsWithoutCredentialsOrWithAWrongPasswordAreTurnedAway() {
        Map<String, Object> wrong = new HashMap<>(KafkaClientSecurity.scramSha512(TopicAccess.Service.INGEST.user(),
                "not-the-password", false).apply(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers())));
        try (Admin admin = Admin.create(wrong)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
                    .as("a wrong password").hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000))) {
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .as("a plaintext client without credentials gets nothing").isInstanceOf(ExecutionException.class);
        }
    }

    private static KafkaProducer<String, String> producer(KafkaClientSecurity security, String transactionalId) {
        Map<String, Object> config = new HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(), ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000));
        if (transactionalId != null) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(security.apply(config), new StringSerializer(), new StringSerializer());
    }

    private static String password() {
        return UUID.randomUUID().toString();
    }
}
