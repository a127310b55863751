package io.pirstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's supervisor against real child JVMs ({@link FlakyService}) that exit or report themselves DOWN. */
class SupervisorTest {

    private static final Duration CHECK_EVERY = Duration.ofMillis(300);

    @Test
    void aServiceThatExitsIsRestarted(@TempDir Path dir) throws Exception {
        Path starts = dir.resolve("starts");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ServiceProcess service = flaky(dir, "exit", 1, starts);
                Supervisor supervisor = Supervisor.watch(List.of(service), new PrintStream(out, true, StandardCharsets.UTF_8), CHECK_EVERY)) {
            awaitTrue(() -> text(out).contains("is ready again"), Duration.ofSeconds(60));
            assertThat(text(out)).contains("flaky exited with status 3; restarting it");
            assertThat(Files.readAllLines(starts)).as("starts").hasSize(2);
            assertThat(service.exitedUnexpectedly()).as("the second run keeps running").isEmpty();
        }
    }

    @Test
    void aServiceReportingItselfDownIsRestarted(@TempDir Path dir) throws Exception {
        Path starts = dir.resolve("starts");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ServiceProcess service = flaky(dir, "down", 1, starts);
                Supervisor supervisor = Supervisor.watch(List.of(service), new PrintStream(out, true, StandardCharsets.UTF_8), CHECK_EVERY)) {
            long first = service.pid();
            awaitTrue(() -> text(out).contains("is ready again"), Duration.ofSeconds(60));
            assertThat(text(out)).contains("flaky reported DOWN by /q/health/live " + Supervisor.LIVENESS_FAILURES + " times in a row");
            assertThat(service.pid()).as("a new process").isNotEqualTo(first);
            assertThat(Files.readAllLines(starts)).as("starts").hasSize(2);
        }
    }

    @Test
    void aServiceThatKeepsFailingIsGivenUpOnWithItsLogNamed(@TempDir Path dir) throws Exception {
        Path starts = dir.resolve("starts");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ServiceProcess service = flaky(dir, "exit", Integer.MAX_VALUE, starts);
                Supervisor supervisor = Supervisor.watch(List.of(service), new PrintStream(out, true, StandardCharsets.UTF_8), CHECK_EVERY)) {
            awaitTrue(() -> text(out).contains("so not again"), Duration.ofSeconds(120));
            assertThat(text(out)).contains("restarted " + Supervisor.MAX_RESTARTS + " times within")
                    .contains(dir.resolve("logs/flaky.log").toString());
            int startsWhenGivenUp = Files.readAllLines(starts).size();
            assertThat(startsWhenGivenUp).as("the first start and the restarts").isEqualTo(1 + Supervisor.MAX_RESTARTS);
            Thread.sleep(3 * CHECK_EVERY.toMillis());
            assertThat(Files.readAllLines(starts)).as("no restart after giving up").hasSize(startsWhenGivenUp);
        }
    }

    @Test
    void aServiceStoppedOnPurposeIsNotRestarted(@TempDir Path dir) throws Exception {
        Path starts = dir.resolve("starts");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ServiceProcess service = flaky(dir, "exit", 0, starts);
        try (Supervisor supervisor = Supervisor.watch(List.of(service), new PrintStream(out, true, StandardCharsets.UTF_8), CHECK_EVERY)) {
            service.awaitReady(Duration.ofSeconds(60));
            service.close();
            Thread.sleep(3 * CHECK_EVERY.toMillis());
        }
        assertThat(Files.readAllLines(starts)).as("starts").hasSize(1);
        assertThat(text(out)).isEmpty();
    }

    private static ServiceProcess flaky(Path dir, String mode, int failingStarts, Path starts) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ServiceProcess service = ServiceProcess.startJava("flaky", List.of("-cp", System.getProperty("java.class.path"),
                        FlakyService.class.getName()), port,
                Map.of("PORT", String.valueOf(port), "MODE", mode, "FAILING_STARTS", String.valueOf(failingStarts),
                        "STARTS", starts.toString()), dir.resolve("logs"), 0);
        return service;
    }

    private static String text(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(condition.getAsBoolean()).as("within " + timeout + "; supervisor said: ").isTrue();
    }
}
