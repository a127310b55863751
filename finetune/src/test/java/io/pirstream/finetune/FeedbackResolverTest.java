package io.pirstream.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.avro.Feedback;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeedbackResolverTest {

    static Feedback feedback(String user, String query, String chip, boolean relevant, long at) {
        return Feedback.newBuilder().setFeedbackId(user + query + chip + at).setQueryText(query).setChipId(chip).setRelevant(relevant)
                .setModelVersion("pir-test").setUser(user).setAt(Instant.ofEpochMilli(at)).build();
    }

    @Test
    void theLatestJudgementOfAUserCounts() {
        var r = FeedbackResolver.resolve(List.of(feedback("ann", "a lake", "c1", true, 1), feedback("ann", "A  lake ", "c1", false, 2)));
        assertThat(r.judgements()).as("ann changed her mind; the query is compared normalised").singleElement()
                .satisfies(j -> assertThat(j.relevant()).as("her latest verdict").isFalse());
        assertThat(r.overridden()).as("one overridden").isEqualTo(1);
    }

    @Test
    void anOlderJudgementArrivingLaterDoesNotOverride() {
        var r = FeedbackResolver.resolve(List.of(feedback("ann", "a lake", "c1", true, 5), feedback("ann", "a lake", "c1", false, 2)));
        assertThat(r.judgements().get(0).relevant()).as("the judgement made last counts, not the one logged last").isTrue();
    }

    @Test
    void theMajorityOfUsersCountsAndATieIsDropped() {
        var r = FeedbackResolver.resolve(List.of(
                feedback("ann", "a lake", "c1", true, 1), feedback("bob", "a lake", "c1", true, 2), feedback("cid", "a lake", "c1", false, 3),
                feedback("ann", "a road", "c2", true, 1), feedback("bob", "a road", "c2", false, 2)));
        assertThat(r.judgements()).as("c1 by 2 to 1; c2 tied").singleElement().satisfies(j -> {
            assertThat(j.chipId()).as("chip").isEqualTo("c1");
            assertThat(j.relevant()).as("majority").isTrue();
            assertThat(j.votes()).as("for").isEqualTo(2);
            assertThat(j.against()).as("against").isEqualTo(1);
        });
        assertThat(r.ties()).as("one tie dropped").isEqualTo(1);
    }
}
