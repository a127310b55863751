package io.pirstream.finetune;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link FineTuneRound} in-process (the embedded default): every {@code checkEvery} it looks at the feedback and
 * trains when {@code everyNewFeedback} records have arrived since the last fine-tune, or when {@code interval} has
 * passed since the last round and any feedback has arrived. One round at a time on one daemon thread; a failed round
 * is logged and retried at the next check.
 *
 * <pre>{@code
 * FineTuneScheduler scheduler = FineTuneScheduler.start(FineTuneRound.Settings.of(clientConfig, dataDir.resolve("models")),
 *         FineTuneScheduler.DEFAULT_EVERY_NEW_FEEDBACK, Duration.ofHours(24), Duration.ofSeconds(30));
 * ...
 * scheduler.close();
 * }</pre>
 */
public final class FineTuneScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FineTuneScheduler.class);

    /** Default count of new feedback records that starts a round. */
    public static final int DEFAULT_EVERY_NEW_FEEDBACK = 50;
    /** Default pause between checks. */
    public static final Duration DEFAULT_CHECK_EVERY = Duration.ofSeconds(30);

    private final FineTuneRound.Settings settings;
    private final int everyNewFeedback;
    private final Duration interval;
    private final Duration checkEvery;
    private final Thread thread;
    private final AtomicReference<FineTuneRound.Outcome> last = new AtomicReference<>();
    private volatile boolean running = true;

    private FineTuneScheduler(FineTuneRound.Settings settings, int everyNewFeedback, Duration interval, Duration checkEvery) {
        this.settings = Objects.requireNonNull(settings, "settings must not be null");
        if (everyNewFeedback < 1) {
            throw new IllegalArgumentException("everyNewFeedback must be >= 1: " + everyNewFeedback);
        }
        this.everyNewFeedback = everyNewFeedback;
        this.interval = interval;
        this.checkEvery = Objects.requireNonNull(checkEvery, "checkEvery must not be null");
        this.thread = new Thread(this::loop, "pirstream-finetune-scheduler");
        this.thread.setDaemon(true);
    }

    /**
     * Starts checking.
     *
     * @param settings the rounds' settings ({@code minNewFeedback} is set by the scheduler)
     * @param everyNewFeedback new feedback records that start a round
     * @param interval longest time between rounds while feedback keeps arriving; null: by count only
     * @param checkEvery pause between checks (each reads {@code pir.models} and {@code pir.feedback})
     */
    public static FineTuneScheduler start(FineTuneRound.Settings settings, int everyNewFeedback, Duration interval, Duration checkEvery) {
        FineTuneScheduler scheduler = new FineTuneScheduler(settings, everyNewFeedback, interval, checkEvery);
        scheduler.thread.start();
        return scheduler;
    }

    /** The outcome of the latest round that did something, or of the latest check. */
    public Optional<FineTuneRound.Outcome> lastOutcome() {
        return Optional.ofNullable(last.get());
    }

    private void loop() {
        long lastRound = System.nanoTime();
        while (running) {
            sleep(checkEvery);
            if (!running) {
                break;
            }
            boolean due = interval != null && System.nanoTime() - lastRound >= interval.toNanos();
            try {
                FineTuneRound.Outcome outcome = FineTuneRound.run(settings.withMinNewFeedback(due ? 1 : everyNewFeedback)
                        .withListener(this::afterStep));
                last.set(outcome);
                if (outcome.status() != FineTuneRound.Status.NOTHING_TO_DO) {
                    lastRound = System.nanoTime();
                    LOG.info("Fine-tune: {}", outcome.message());
                } else {
                    LOG.debug("Fine-tune: {}", outcome.message());
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("Fine-tune round failed; retrying at the next check", e);
                }
            }
        }
    }

    /** Closing aborts a round between two steps: nothing is published, the next start trains it again. */
    private void afterStep(int done, int total, float loss) {
        if (!running) {
            throw new CancellationException("the fine-tune scheduler was closed");
        }
        settings.listener().afterStep(done, total, loss);
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            // close() interrupts the wait
        }
    }

    /** Stops checking; a round in progress stops at its next training step (waits up to 10 s). */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
