package io.pirstream.service.security;

import java.util.Set;

/** The roles an API key can carry; every endpoint names the roles it admits. */
public final class Roles {

    /** Uploads imagery (frames, scenes). */
    public static final String INGEST = "ingest";
    /** Searches and reads indexed chips. */
    public static final String ANALYST = "analyst";
    /** Administers: deletes, replays, releases. */
    public static final String OPERATOR = "operator";

    /** Every role; a client configured with another is refused at start-up (a typo would grant nothing). */
    public static final Set<String> ALL = Set.of(INGEST, ANALYST, OPERATOR);

    private Roles() {
    }
}
