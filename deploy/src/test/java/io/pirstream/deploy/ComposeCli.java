package io.pirstream.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The container engine's compose command ({@code docker compose}, {@code docker-compose} or {@code podman-compose},
 * the first that answers), run on one project: its compose files (later ones merged over earlier ones), one env
 * file, one project name, so that a test's stack never touches another's containers.
 */
final class ComposeCli {

    private static final List<List<String>> CANDIDATES = List.of(List.of("docker", "compose"),
            List.of("docker-compose"), List.of("podman-compose"));

    private final List<String> command;
    private final List<Path> composeFiles;
    private final Path envFile;
    private final String project;
    private final Map<String, String> environment;

    private ComposeCli(List<String> command, List<Path> composeFiles, Path envFile, String project,
                       Map<String, String> environment) {
        this.command = command;
        this.composeFiles = List.copyOf(composeFiles);
        this.envFile = envFile;
        this.project = project;
        this.environment = Map.copyOf(environment);
    }

    /** The first compose command on this machine that answers {@code version}, if any. */
    static Optional<List<String>> find() {
        for (List<String> candidate : CANDIDATES) {
            List<String> version = new ArrayList<>(candidate);
            version.add("version");
            try {
                Process process = new ProcessBuilder(version).redirectErrorStream(true).start();
                process.getInputStream().readAllBytes();
                if (process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0) {
                    return Optional.of(candidate);
                }
            } catch (IOException notInstalled) {
                // try the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * @param environment variables the compose file interpolates, added to this process's environment
     */
    static ComposeCli of(List<String> command, List<Path> composeFiles, Path envFile, String project,
                         Map<String, String> environment) {
        return new ComposeCli(command, composeFiles, envFile, project, environment);
    }

    /** Runs {@code compose <arguments>} on the project and returns its standard output. */
    String run(Duration timeout, String... arguments) {
        List<String> line = new ArrayList<>(command);
        line.addAll(List.of("-p", project));
        composeFiles.forEach(file -> line.addAll(List.of("-f", file.toString())));
        line.addAll(List.of("--env-file", envFile.toString()));
        line.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            // read while it runs: a full pipe would block it
            StringBuilder output = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    output.append("(output lost: ").append(e).append(')');
                }
            });
            reader.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", line) + " did not finish within " + timeout);
            }
            reader.join();
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", line) + " exited " + process.exitValue() + ":\n"
                        + output);
            }
            return output.toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + line, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + line, e);
        }
    }

    /** The container id of a service's (first) container. */
    String containerId(String service) {
        String id = run(Duration.ofMinutes(1), "ps", "-q", service).strip();
        if (id.isEmpty()) {
            throw new IllegalStateException("service " + service + " has no container");
        }
        return id.lines().reduce((first, second) -> first).orElseThrow();
    }

    /** The host address a service's container port is published on, as {@code host:port}. */
    String publishedAddress(String service, int containerPort) {
        String address = run(Duration.ofMinutes(1), "port", service, String.valueOf(containerPort)).strip();
        if (!address.matches(".+:\\d+")) {
            throw new IllegalStateException(service + " port " + containerPort + " is not published: '" + address + "'");
        }
        return address.replace("0.0.0.0:", "127.0.0.1:");
    }
}
