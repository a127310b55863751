package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which texts of a batch describe which images: the positives of the contrastive loss. */
class SharedCaptionsTest {

    private static Item image(String id, String... captions) {
        return new Item(id, new byte[0], List.of(captions), true, 0, "scene", "test");
    }

    @Test
    void aCaptionRepeatedForAnotherImageDescribesItToo() {
        List<Item> items = List.of(
                image("a", "Many buildings and green trees are in a dense residential area.", "a dense residential area"),
                image("b", "many buildings and green trees are in a dense residential area", "a playground among houses"),
                image("c", "a river crosses the farmland"));
        List<String> texts = List.of("a dense residential area", "Many  buildings and green trees are in a dense residential area",
                "a river crosses the farmland.");

        float[][] describes = PirTrainer.describes(items, texts);

        assertThat(describes[0]).as("image a: its own text and the repeated caption (case, spacing, full stop aside)")
                .containsExactly(1f, 1f, 0f);
        assertThat(describes[1]).as("image b: the repeated caption only").containsExactly(0f, 1f, 0f);
        assertThat(describes[2]).as("image c: its own text").containsExactly(0f, 0f, 1f);
    }

    @Test
    void theMatchingPairIsAlwaysAPositive() {
        List<Item> items = List.of(image("a", "a lake"), image("b", "a forest"));
        float[][] describes = PirTrainer.describes(items, List.of("text not among a's captions", "a forest"));
        assertThat(describes[0][0]).as("row i, text i: the pair drawn together").isEqualTo(1f);
        assertThat(describes[0][1]).as("b's caption does not describe a").isZero();
    }
}
