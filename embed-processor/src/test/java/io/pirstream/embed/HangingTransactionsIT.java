package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.HangingTransactions;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@link HangingTransactions} against a real broker: the Admin calls it makes work, and a live open transaction, which
 * holds back read_committed readers only until its producer commits, is never taken for a hanging one however old.
 * (A hanging transaction itself cannot be made on demand; RELIABILITY.md has the one the fault soak met.)
 */
class HangingTransactionsIT {

    @Test
    void aLiveOpenTransactionIsNotHanging() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("hanging-test", 2, (short) 1))).all().get();
            List<TopicPartition> partitions = List.of(new TopicPartition("hanging-test", 0),
                    new TopicPartition("hanging-test", 1));
            assertThat(HangingTransactions.find(admin, partitions, Duration.ZERO, Instant.now()))
                    .as("no transaction at all").isEmpty();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "hanging-test-producer"),
                    new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("hanging-test", 0, "k", "v")).get();
                // as if it had been open for an hour: only the coordinator's view decides
                Instant muchLater = Instant.now().plus(Duration.ofHours(1));
                assertThat(HangingTransactions.abortAll(admin, List.of("hanging-test"), Duration.ofMinutes(1), muchLater))
                        .as("an open transaction its coordinator has ongoing on that partition").isEmpty();
                producer.commitTransaction();
            }
            // the commit's markers reach the partitions shortly after commitTransaction returns
            List<?> left = List.of("not looked");
            for (long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    !left.isEmpty() && System.nanoTime() < deadline; Thread.sleep(200)) {
                left = HangingTransactions.find(admin, partitions, Duration.ZERO, Instant.now().plusSeconds(60));
            }
            assertThat(left).as("after the commit").isEmpty();
        }
    }
}
