package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams revives a task (after a corrupted-task error, say) by closing it and initialising the same processor
 * instance again, with the store restored from its changelog: chips pending in it must go back to the model.
 */
class RevivedTaskTest {

    @TempDir
    static Path modelDir;
    private static PirModel model;

    @BeforeAll
    static void loadModel() {
        model = TestModels.tiny(modelDir);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void chipsRestoredIntoARevivedTaskAreEmbedded() throws InterruptedException {
        EmbedMetrics metrics = new EmbedMetrics(new SimpleMeterRegistry());
        try (InferenceQueue inference = new InferenceQueue(new ChipEmbedder(model), 4, Duration.ZERO, metrics)) {
            ChipEmbeddingProcessor processor = new ChipEmbeddingProcessor(inference, "revive-test", metrics);
            MockProcessorContext<String, Object> context = new MockProcessorContext<>();
            KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ChipEmbeddingTopology.PENDING_STORE),
                    Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
            KeyValueStore<String, byte[]> embedded = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(
                    ChipEmbeddingTopology.EMBEDDED_STORE), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
            embedded.init(context.getStateStoreContext(), embedded);
            context.addStateStore(embedded);

            // first life of the task: nothing pending
            processor.init(context);
            punctuate(context);
            processor.close();

            // the revived task finds a chip in its restored store
            Chip chip = Chips.chip("restored", 3);
            byte[] value = Topics.CHIPS.valueSerde().serializer().serialize(Topics.CHIPS.name(), chip);
            store.put("restored", new PendingChip(Topics.CHIPS.name(), 0, 41, 0L, value).encode());
            context.resetForwards();
            processor.init(context);
            punctuate(context); // queues the restored chip
            assertThat(inference.awaitIdle(Duration.ofSeconds(30))).as("model finished").isTrue();
            punctuate(context); // forwards its embedding

            assertThat(context.forwarded()).as("the restored chip's embedding is forwarded")
                    .anySatisfy(f -> assertThat(f.record().key()).isEqualTo("restored"));
            assertThat(store.get("restored")).as("and it leaves the store").isNull();
            assertThat(embedded.get("restored")).as("its fingerprint is kept").isEqualTo(ChipEmbeddingProcessor.fingerprint(chip));
            processor.close();
        }
    }

    private static void punctuate(MockProcessorContext<String, Object> context) {
        context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(0L));
    }
}
