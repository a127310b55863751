package io.pirstream.finetune;

import io.pirstream.model.train.FeedbackFineTuner;
import io.pirstream.schemas.avro.Feedback;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the feedback log into one judgement per (query, chip), by the rule:
 *
 * <ol>
 *   <li>per (user, query, chip) the latest judgement counts (by {@code at}, then by log order): a user who changes
 *       their mind overrides themselves, and a resubmitted judgement counts once;
 *   <li>across users, the majority per (query, chip) counts; a tie is dropped (the users disagree, so the pair
 *       teaches nothing).
 * </ol>
 *
 * Queries are compared normalised (trimmed, lower case, single spaces, as the query service's feedback ids); the text
 * trained on is that of the latest judgement.
 */
public final class FeedbackResolver {

    /**
     * One resolved judgement.
     *
     * @param queryText the query as last written
     * @param chipId the chip
     * @param relevant the majority's verdict
     * @param votes users who agreed
     * @param against users who disagreed
     */
    public record Resolved(String queryText, String chipId, boolean relevant, int votes, int against) {
    }

    /** What the rule made of the log. */
    public record Resolution(List<Resolved> judgements, int records, int overridden, int ties) {
    }

    private FeedbackResolver() {
    }

    /** @param log feedback records in log order */
    public static Resolution resolve(List<Feedback> log) {
        // 1. latest per (user, query, chip); later records win ties on time, so iterate in log order with >=
        Map<List<String>, Feedback> latest = new LinkedHashMap<>();
        int overridden = 0;
        for (Feedback f : log) {
            List<String> key = List.of(f.getUser(), FeedbackFineTuner.normalise(f.getQueryText()), f.getChipId());
            Feedback before = latest.get(key);
            if (before == null || !f.getAt().isBefore(before.getAt())) {
                latest.put(key, f);
            }
            if (before != null) {
                overridden++;
            }
        }
        // 2. majority across users per (query, chip)
        Map<List<String>, List<Feedback>> byPair = new LinkedHashMap<>();
        latest.forEach((key, f) -> byPair.computeIfAbsent(List.of(key.get(1), key.get(2)), k -> new ArrayList<>()).add(f));
        List<Resolved> out = new ArrayList<>();
        int ties = 0;
        for (List<Feedback> votes : byPair.values()) {
            long yes = votes.stream().filter(Feedback::getRelevant).count();
            long no = votes.size() - yes;
            if (yes == no) {
                ties++;
                continue;
            }
            Feedback last = votes.stream().max(Comparator.comparing(Feedback::getAt)).orElseThrow();
            boolean relevant = yes > no;
            out.add(new Resolved(last.getQueryText(), last.getChipId(), relevant, (int) Math.max(yes, no), (int) Math.min(yes, no)));
        }
        return new Resolution(List.copyOf(out), log.size(), overridden, ties);
    }
}
