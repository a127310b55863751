package io.pirstream.query.alerts;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A position in {@code pir.alerts}: the next offset to read per partition, written {@code 0:15,1:7,2:3}. Every alert
 * event carries the cursor just past it as its id, so a client that reconnects with {@code Last-Event-ID} resumes
 * exactly after the last alert it saw, whichever partitions the alerts in between came from.
 */
public final class AlertCursor {

    private static final Pattern FORMAT = Pattern.compile("\\d{1,5}:\\d{1,19}(,\\d{1,5}:\\d{1,19}){0,999}");

    private final TreeMap<Integer, Long> next;

    public AlertCursor(Map<Integer, Long> next) {
        this.next = new TreeMap<>(next);
    }

    /**
     * @throws IllegalArgumentException with what is expected, for a malformed id
     */
    public static AlertCursor parse(String text) {
        if (text == null || !FORMAT.matcher(text.strip()).matches()) {
            throw new IllegalArgumentException("Last-Event-ID must be the id of an alert event, partition:offset pairs"
                    + " such as 0:15,1:7,2:3; got '" + text + "'");
        }
        TreeMap<Integer, Long> next = new TreeMap<>();
        for (String pair : text.strip().split(",")) {
            String[] parts = pair.split(":");
            next.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
        }
        return new AlertCursor(next);
    }

    public Map<Integer, Long> next() {
        return next;
    }

    /** The cursor after reading the record at {@code offset} of {@code partition}. */
    public AlertCursor after(int partition, long offset) {
        TreeMap<Integer, Long> moved = new TreeMap<>(next);
        moved.put(partition, offset + 1);
        return new AlertCursor(moved);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        next.forEach((partition, offset) -> out.append(out.length() == 0 ? "" : ",").append(partition).append(':').append(offset));
        return out.toString();
    }
}
