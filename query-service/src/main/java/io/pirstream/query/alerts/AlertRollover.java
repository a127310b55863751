package io.pirstream.query.alerts;

import io.pirstream.query.SearchEngine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Moves the alerts to the new model version at a flip: re-encodes the standing queries with the new model, then
 * restarts the matcher on the new version's embeddings, matching chips ingested from {@link #REPLAY_MARGIN} before
 * the flip on (the alerted store drops the pairs the previous version alerted on already).
 */
@ApplicationScoped
public class AlertRollover {

    private static final Logger LOG = Logger.getLogger(AlertRollover.class);

    /**
     * How far before a flip the new version's matcher looks: long enough to cover chips that the previous version's
     * embedder had not embedded yet when its matcher stopped.
     */
    public static final Duration REPLAY_MARGIN = Duration.ofMinutes(10);

    private final Subscriptions subscriptions;
    private final AlertMatcher matcher;

    public AlertRollover(Subscriptions subscriptions, AlertMatcher matcher) {
        this.subscriptions = subscriptions;
        this.matcher = matcher;
    }

    void onFlip(@Observes SearchEngine.Flip flip) {
        try {
            int rewritten = subscriptions.reencode(flip.model());
            matcher.restart(flip.at().minus(REPLAY_MARGIN));
            // a subscription created while the matcher restarted may carry the previous version's encoding
            rewritten += subscriptions.reencode(flip.model());
            LOG.infof("Standing queries re-encoded with model %s: %d; the alert matcher follows it", flip.to(), rewritten);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Moving the alerts to model %s failed (%s); restarting the matcher on it anyway", flip.to(),
                    e.getMessage());
            matcher.restart(flip.at().minus(REPLAY_MARGIN));
        }
    }
}
