package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSecurityTest {

    private static final String JAAS = KafkaClientSecurity.scramJaasConfig("pirstream-ingest", "s3cret-Password");

    @Test
    void nothingSetIsPlaintext() {
        KafkaClientSecurity security = KafkaClientSecurity.load(null, Map.of("pirstream.kafka.bootstrap-servers", "b:9092"),
                Map.of("PIRSTREAM_KAFKA_BOOTSTRAP_SERVERS", "b:9092", "HOME", "/root"));
        assertThat(security.isEnabled()).as("no security settings").isFalse();
        Map<String, Object> expected = new HashMap<>(KafkaClientSecurity.CONNECTION_SETUP);
        expected.put("bootstrap.servers", "b:9092");
        assertThat(security.apply(Map.of("bootstrap.servers", "b:9092"))).as("client config with the connection timing")
                .isEqualTo(expected);
    }

    /**
     * A restarted broker can come back at a new address, and an attempt at the old one hangs until the connection
     * setup timeout: every client gives one up within seconds (Kafka's own default, 10 s doubling to 30 s, kept the
     * stream threads away for 20 s after the broker was back), unless its service chose its own.
     */
    @Test
    void everyClientGivesUpAConnectionAttemptWithinSecondsUnlessItsServiceSaysOtherwise() {
        KafkaClientSecurity plaintext = KafkaClientSecurity.of(Map.of());
        for (Map<String, Object> config : List.of(plaintext.apply(Map.of()),
                Map.<String, Object>copyOf((Map) plaintext.applyTo(new Properties())))) {
            ConsumerConfig consumer = new ConsumerConfig(withDeserializers(config));
            assertThat(consumer.getLong(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG))
                    .as("first connection attempt given up after (ms)").isLessThanOrEqualTo(5_000L);
            assertThat(consumer.getLong(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG))
                    .as("longest attempt (ms)").isLessThanOrEqualTo(10_000L);
        }
        Properties own = new Properties();
        own.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 20_000L);
        assertThat(plaintext.applyTo(own)).as("a service's own timing wins")
                .containsEntry(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 20_000L);
        assertThat(plaintext.apply(Map.of(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 20_000L)))
                .containsEntry(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 20_000L);
    }

    private static Map<String, Object> withDeserializers(Map<String, Object> config) {
        Map<String, Object> full = new HashMap<>(config);
        full.put("bootstrap.servers", "b:9092");
        full.put("key.deserializer", StringDeserializer.class);
        full.put("value.deserializer", StringDeserializer.class);
        return full;
    }

    @Test
    void environmentVariablesBecomeClientSettingsAndWinOverPropertiesAndFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nssl.truststore.location=/etc/ts.p12\n");
        KafkaClientSecurity security = KafkaClientSecurity.load(null,
                Map.of("pirstream.kafka-client.sasl.mechanism", "SCRAM-SHA-512"),
                Map.of(KafkaClientSecurity.FILE_VARIABLE, file.toString(), "PIRSTREAM_KAFKA_SASL_JAAS_CONFIG", JAAS));
        assertThat(security.settings()).as("file, then properties, then environment").isEqualTo(Map.of(
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", JAAS,
                "ssl.truststore.location", "/etc/ts.p12"));
        assertThat(security.apply(Map.of("acks", "all"))).as("applied to a producer config")
                .containsEntry("acks", "all").containsEntry("sasl.jaas.config", JAAS);
        assertThat(security.toString()).as("shown without credentials").isEqualTo("SASL_SSL SCRAM-SHA-512");
    }

    @Test
    void saslMechanismWithoutJaasConfigIsRefusedByName() {
        assertThatThrownBy(() -> KafkaClientSecurity.load(null, Map.of(), Map.of(
                "PIRSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "PIRSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")))
                .as("SCRAM without credentials").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs sasl.jaas.config").hasMessageContaining("PIRSTREAM_KAFKA_SASL_JAAS_CONFIG");
    }

    @Test
    void saslSettingsWithoutSaslProtocolAreRefusedRatherThanIgnored() {
        assertThatThrownBy(() -> KafkaClientSecurity.load(null, Map.of(), Map.of(
                "PIRSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "PIRSTREAM_KAFKA_SASL_JAAS_CONFIG", JAAS)))
                .as("SASL settings on a plaintext connection").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIRSTREAM_KAFKA_SASL_").hasMessageContaining("without authentication")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> KafkaClientSecurity.of(Map.of("ssl.truststore.location", "/x")))
                .as("TLS settings on a plaintext connection").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("without TLS");
    }

    @Test
    void typosWrongProtocolsAndMismatchedLoginModulesAreRefused() {
        assertThatThrownBy(() -> KafkaClientSecurity.load(null, Map.of("pirstream.kafka-client.sasl.jaas.conifg", JAAS), Map.of()))
                .as("a misspelt setting").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sasl.jaas.conifg (from pirstream.kafka-client.sasl.jaas.conifg)")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> KafkaClientSecurity.of(Map.of("security.protocol", "TLS")))
                .as("an unknown protocol").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
        assertThatThrownBy(() -> KafkaClientSecurity.of(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", JAAS))).as("a SCRAM login for PLAIN").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PlainLoginModule").hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> KafkaClientSecurity.of(Map.of("bootstrap.servers", "x:1")))
                .as("a non-security setting").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unknown Kafka client security setting bootstrap.servers");
    }

    @Test
    void scramCredentialsThatWouldBreakJaasQuotingAreRefused() {
        assertThatThrownBy(() -> KafkaClientSecurity.scramJaasConfig("user", "pass\" admin=\"x"))
                .as("a quote in a password").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SCRAM password");
        assertThat(KafkaClientSecurity.scramSha512("u", "p", true).settings())
                .as("SCRAM over TLS").containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    }
}
