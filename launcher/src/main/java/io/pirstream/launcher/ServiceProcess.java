package io.pirstream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One PIRStream service running as a child JVM from its runnable jar, with its output in a log file. Closing
 * stops it (SIGTERM, then SIGKILL after a grace period) for good; {@link #restart()} stops it and starts it again.
 * Both hold the instance's lock, so {@link #exitedUnexpectedly()} never mistakes a restart in progress for a crash.
 */
final class ServiceProcess implements AutoCloseable {

    private static final Duration GRACE = Duration.ofSeconds(15);
    private static final List<Path> NICE = List.of(Path.of("/usr/bin/nice"), Path.of("/bin/nice"));

    private final String name;
    private final ProcessBuilder builder;
    private final Path log;
    private final int httpPort;
    private Process process;
    private boolean closed;

    private ServiceProcess(String name, ProcessBuilder builder, Path log, int httpPort) throws IOException {
        this.name = name;
        this.builder = builder;
        this.log = log;
        this.httpPort = httpPort;
        this.process = builder.start();
    }

    /**
     * Starts {@code java <jvmOptions> -jar jar} with the given environment added to ours; {@code httpPort} is where the
     * service serves {@code /q/health} (the caller passes it in the way the service reads it).
     */
    static ServiceProcess start(String name, Path jar, int httpPort, Map<String, String> environment, Path logDir,
                                List<String> jvmOptions) {
        return start(name, jar, httpPort, environment, logDir, jvmOptions, 0);
    }

    /**
     * As {@link #start(String, Path, int, Map, Path, List)}, at a lower CPU priority: {@code niceness} 1-19 through
     * {@code nice}, which execs the JVM (so its pid is the service's); ignored where there is no {@code nice}.
     */
    static ServiceProcess start(String name, Path jar, int httpPort, Map<String, String> environment, Path logDir,
                                List<String> jvmOptions, int niceness) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(name + " is not built: " + jar + " is missing. Run ./mvnw -DskipTests install"
                    + " (the ./pirstream script does it for you)");
        }
        List<String> java = new ArrayList<>(jvmOptions);
        java.addAll(List.of("-jar", jar.toString()));
        return startJava(name, java, httpPort, environment, logDir, niceness);
    }

    /** Starts {@code java <arguments>} (a jar, or a class path and main class) as the service. */
    static ServiceProcess startJava(String name, List<String> arguments, int httpPort, Map<String, String> environment,
                                    Path logDir, int niceness) {
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            List<String> command = new ArrayList<>();
            Optional<Path> nice = niceness > 0 ? NICE.stream().filter(Files::isExecutable).findFirst() : Optional.empty();
            nice.ifPresent(n -> command.addAll(List.of(n.toString(), "-n", String.valueOf(niceness))));
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(arguments);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            return new ServiceProcess(name, builder, log, httpPort);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + name, e);
        }
    }

    String name() {
        return name;
    }

    String baseUrl() {
        return "http://localhost:" + httpPort;
    }

    Path log() {
        return log;
    }

    /** The running JVM's process id (a new one after each restart). */
    synchronized long pid() {
        return process.pid();
    }

    /** Whether the service was stopped for good. */
    synchronized boolean isClosed() {
        return closed;
    }

    /** The exit status of a process that ended without being closed or restarted, else empty. */
    synchronized Optional<Integer> exitedUnexpectedly() {
        return closed || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /** Waits until {@code /q/health/ready} answers 200. */
    void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Integer> exit = exitedUnexpectedly();
            if (exit.isPresent()) {
                throw new IllegalStateException(name + " exited with status " + exit.get() + " during start-up;"
                        + " see " + log);
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + name, e);
            }
            sleep(250);
        }
        throw new IllegalStateException(name + " was not ready within " + timeout + "; see " + log);
    }

    /** Stops the service gracefully (if it still runs) and starts it again with the same command and environment. */
    synchronized void restart() {
        if (closed) {
            throw new IllegalStateException(name + " was stopped; it is not restarted");
        }
        stop();
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot restart " + name, e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        stop();
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
