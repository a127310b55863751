package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Health and metrics are unauthenticated, so by default only this machine reaches them. */
class HealthServerTest {

    @Test
    void theProcessorListensOnLoopbackUnlessToldOtherwise() {
        EmbedProcessor defaults = new EmbedProcessor();
        new CommandLine(defaults).parseArgs();
        if (System.getenv("PIRSTREAM_EMBED_HTTP_HOST") == null) {
            assertThat(defaults.httpHost).as("default --http-host").isEqualTo("127.0.0.1");
        }
        EmbedProcessor everywhere = new EmbedProcessor();
        new CommandLine(everywhere).parseArgs("--http-host", "0.0.0.0");
        assertThat(everywhere.httpHost).as("configurable").isEqualTo("0.0.0.0");
    }

    @Test
    void onLoopbackItAnswersLocallyAndRefusesOtherAddresses() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (HealthServer server = HealthServer.start(EmbedProcessor.DEFAULT_HTTP_HOST, 0,
                () -> KafkaStreams.State.RUNNING, registry, () -> "test-model")) {
            assertThat(server.address().getAddress().isLoopbackAddress()).as("bound to loopback: " + server.address())
                    .isTrue();
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as("readiness on loopback").isEqualTo(200);

            Optional<InetAddress> external = externalAddress();
            if (external.isPresent()) {
                assertThatThrownBy(() -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(external.get(), server.port()), 2_000);
                    }
                }).as("connecting through " + external.get()).isInstanceOf(IOException.class);
            }
        }
    }

    /** An IPv4 address of this machine that is not loopback, if it has one. */
    private static Optional<InetAddress> externalAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof java.net.Inet4Address && !address.isLoopbackAddress()) {
                    return Optional.of(address);
                }
            }
        }
        return Optional.empty();
    }
}
