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
 * stops it (SIGTERM, then SIGKILL after a grace period).
 */
final class ServiceProcess implements AutoCloseable {

    private static final Duration GRACE = Duration.ofSeconds(15);
    private static final List<Path> NICE = List.of(Path.of("/usr/bin/nice"), Path.of("/bin/nice"));

    private final String name;
    private final ProcessBuilder builder;
    private final Path log;
    private final int httpPort;
    private Process process;

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
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            List<String> command = new ArrayList<>();
            Optional<Path> nice = niceness > 0 ? NICE.stream().filter(Files::isExecutable).findFirst() : Optional.empty();
            nice.ifPresent(n -> command.addAll(List.of(n.toString(), "-n", String.valueOf(niceness))));
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add("-jar");
            command.add(jar.toString());
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

    /** Waits until {@code /q/health/ready} answers 200. */
    void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with status " + process.exitValue() + " during start-up;"
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

    /** Stops the service gracefully and starts it again with the same command and environment. */
    synchronized void restart() {
        close();
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot restart " + name, e);
        }
    }

    @Override
    public void close() {
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
