package io.pirstream.model.data;

import java.util.Locale;

/** Data set splits. */
public enum Split {
    TRAIN, VAL, TEST;

    /** Parses a split name, failing with the accepted names. */
    public static Split parse(String name) {
        for (Split s : values()) {
            if (s.name().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown split '" + name + "'; expected one of train, val, test");
    }

    /** Lower-case name as written in data files. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
