package io.pirstream.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the embedded default's services running, as a restart policy and a liveness probe do in production (compose's
 * {@code restart: on-failure}, Kubernetes' {@code livenessProbe}): a service whose JVM exits, or whose
 * {@code /q/health/live} answers {@code DOWN} several checks in a row (a Kafka Streams client in {@code ERROR},
 * which nothing inside the process replaces), is restarted. Services recover their own state on start (transactions
 * fenced, stores restored), so a restart is all it takes. A service that keeps failing is given up on after
 * {@link #MAX_RESTARTS} restarts within {@link #RESTART_WINDOW}, with a line naming its log, rather than restarted in
 * a loop.
 */
final class Supervisor implements AutoCloseable {

    static final Duration CHECK_EVERY = Duration.ofSeconds(2);
    /** Consecutive {@code DOWN} answers of the liveness check before a restart. */
    static final int LIVENESS_FAILURES = 3;
    /** How long a live process may leave the liveness check unanswered (a hang) before a restart. */
    static final Duration UNANSWERED = Duration.ofSeconds(60);
    static final int MAX_RESTARTS = 5;
    static final Duration RESTART_WINDOW = Duration.ofMinutes(10);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

    private final List<Thread> watchers = new ArrayList<>();
    private final PrintStream out;
    private final Duration checkEvery;
    private volatile boolean closed;

    private Supervisor(PrintStream out, Duration checkEvery) {
        this.out = out;
        this.checkEvery = checkEvery;
    }

    /** Watches each service on its own daemon thread until closed, checking every {@link #CHECK_EVERY}. */
    static Supervisor watch(List<ServiceProcess> services, PrintStream out) {
        return watch(services, out, CHECK_EVERY);
    }

    static Supervisor watch(List<ServiceProcess> services, PrintStream out, Duration checkEvery) {
        Supervisor supervisor = new Supervisor(out, checkEvery);
        for (ServiceProcess service : services) {
            Thread thread = new Thread(() -> supervisor.watch(service), "supervisor-" + service.name());
            thread.setDaemon(true);
            supervisor.watchers.add(thread);
            thread.start();
        }
        return supervisor;
    }

    private void watch(ServiceProcess service) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest live = HttpRequest.newBuilder(URI.create(service.baseUrl() + "/q/health/live"))
                .timeout(Duration.ofSeconds(5)).build();
        Deque<Long> restarts = new ArrayDeque<>();
        int down = 0;
        long answeredAt = System.nanoTime();
        while (!closed) {
            if (!pause(checkEvery) || service.isClosed()) {
                return;
            }
            Optional<String> failure = service.exitedUnexpectedly().map(status -> "exited with status " + status);
            if (failure.isEmpty()) {
                try {
                    int status = http.send(live, HttpResponse.BodyHandlers.discarding()).statusCode();
                    answeredAt = System.nanoTime();
                    down = status == 503 ? down + 1 : 0;
                    if (down >= LIVENESS_FAILURES) {
                        failure = Optional.of("reported DOWN by /q/health/live " + down + " times in a row");
                    }
                } catch (IOException e) {
                    if (System.nanoTime() - answeredAt > UNANSWERED.toNanos()) {
                        failure = Optional.of("has not answered /q/health/live for " + UNANSWERED.toSeconds() + " s");
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (failure.isEmpty() || closed || service.isClosed()) {
                continue;
            }
            long now = System.nanoTime();
            while (!restarts.isEmpty() && now - restarts.peekFirst() > RESTART_WINDOW.toNanos()) {
                restarts.removeFirst();
            }
            if (restarts.size() >= MAX_RESTARTS) {
                out.printf("[supervisor] %s %s; restarted %d times within %d min already, so not again: see %s,"
                        + " then restart ./pirstream%n", service.name(), failure.get(), restarts.size(),
                        RESTART_WINDOW.toMinutes(), service.log());
                return;
            }
            restarts.addLast(now);
            out.printf("[supervisor] %s %s; restarting it (log: %s)%n", service.name(), failure.get(), service.log());
            try {
                service.restart();
                service.awaitReady(READY_TIMEOUT);
                out.printf("[supervisor] %s is ready again after %d s%n", service.name(),
                        (System.nanoTime() - now) / 1_000_000_000L);
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                out.printf("[supervisor] %s did not come back: %s%n", service.name(), e.getMessage());
            }
            down = 0;
            answeredAt = System.nanoTime();
        }
    }

    private boolean pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
            return !closed;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Stops watching (before the services are stopped, so that stopping them is not taken for a crash). */
    @Override
    public void close() {
        closed = true;
        watchers.forEach(Thread::interrupt);
        for (Thread watcher : watchers) {
            try {
                watcher.join(Duration.ofSeconds(20).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
