package io.pirstream.launcher;

import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * The benchmarks' live feed: distinct generated frames (one 256 px chip each) posted to ingest at a steady rate.
 * Every frame differs (chip ids hash the content: a repeated frame would be free), so each costs a real embedding.
 */
final class SteadyFrames implements AutoCloseable {

    private static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");

    /** Told of each accepted upload: its index, when it was sent, and its chip's id. */
    interface Accepted {
        void accepted(int index, long sentNanos, String chipId);
    }

    private final List<byte[]> frames;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    // the clock only hands uploads out: a fixed-rate task never overlaps itself, so uploading on the clock's thread
    // would cap the rate at one upload per upload latency
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService uploaders = Executors.newFixedThreadPool(16);

    /**
     * Generates {@code count} distinct frames from scene seeds {@code firstSeed} on (before the clock starts: PNG
     * encoding is not the feed's cost).
     */
    SteadyFrames(int count, int firstSeed) {
        frames = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            var image = SyntheticScenes.generate(firstSeed + i % 50, 256).image();
            image.setRGB(0, 0, i);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                ImageIO.write(image, "png", out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            frames.add(out.toByteArray());
        }
    }

    /** Posts the frames, {@code perSecond} of them a second, until all are sent or this is closed. */
    void start(IngestClient ingest, int perSecond, Accepted accepted) {
        clock.scheduleAtFixedRate(() -> {
            int i = next.getAndIncrement();
            if (i < frames.size()) {
                uploaders.execute(() -> upload(ingest, i, accepted));
            }
        }, 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
    }

    private void upload(IngestClient ingest, int i, Accepted accepted) {
        try {
            long start = System.nanoTime();
            HttpResponse<String> response = ingest.post("/v1/frames", frames.get(i), "f.png", Map.of("platform",
                    "bench-" + i, "capturedAt", Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.SECONDS).toString()));
            Matcher id = CHIP_ID.matcher(response.body());
            if (response.statusCode() == 200 && id.find()) {
                accepted.accepted(i, start, id.group(1));
            } else {
                refused.incrementAndGet();
            }
        } catch (RuntimeException e) {
            refused.incrementAndGet();
        } finally {
            finished.incrementAndGet();
        }
    }

    /** Frames posted so far (accepted or not). */
    int sent() {
        return Math.min(next.get(), frames.size());
    }

    int refused() {
        return refused.get();
    }

    /** Every frame posted and answered. */
    boolean done() {
        return finished.get() >= frames.size();
    }

    @Override
    public void close() {
        clock.shutdownNow();
        uploaders.shutdownNow();
    }
}
