package io.pirstream.query.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.query.DeadLetterPublisher;
import io.pirstream.query.QueryConfig;
import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.StandingQuery;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Delivers alerts to their subscription's webhook: its own consumer group on {@code pir.alerts} (read_committed),
 * apart from the matcher, so a slow or failing receiver never slows matching. Every alert of a poll is delivered
 * concurrently; each try has a timeout, failures are retried with exponential backoff, and after the last try the
 * alert goes to {@code pir.dlq} with the cause. Offsets are committed once every alert of the poll is delivered or
 * dead-lettered: at least once to the receiver, which drops repeats by {@code X-PIRStream-Delivery}.
 */
@ApplicationScoped
public class WebhookDispatcher {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
    static final String PROCESSOR = "pirstream-webhooks";
    static final String DELIVERY_HEADER = "X-PIRStream-Delivery";
    static final String SIGNATURE_HEADER = "X-PIRStream-Signature";
    static final String TIMESTAMP_HEADER = "X-PIRStream-Timestamp";

    private final QueryConfig query;
    private final KafkaClients clients;
    private final AlertsConfig.Webhook config;
    private final AlertMatcher matcher;
    private final DeadLetterPublisher deadLetters;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final Optional<WebhookSigner> signer;
    private final HttpClient http;
    private volatile boolean running;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public WebhookDispatcher(QueryConfig query, KafkaClients clients, AlertsConfig config, AlertMatcher matcher,
                             DeadLetterPublisher deadLetters, ObjectMapper json, MeterRegistry metrics) {
        this.query = query;
        this.clients = clients;
        this.config = config.webhook();
        this.matcher = matcher;
        this.deadLetters = deadLetters;
        this.json = json;
        this.metrics = metrics;
        this.signer = this.config.signingKey().filter(key -> !key.isBlank()).map(WebhookSigner::new);
        this.http = HttpClient.newBuilder().connectTimeout(this.config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build(); // a redirect could lead to an internal address
    }

    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 700) StartupEvent event) {
        if (signer.isEmpty()) {
            LOG.info("No webhook signing key (pirstream.alerts.webhook.signing-key): webhooks are off");
            return;
        }
        consumer = new KafkaConsumer<>(clients.config(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                query.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100,
                // a poll's deliveries may take every try with its backoff
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, worstCase().toMillis() + 60_000))),
                new StringDeserializer(), new ByteArrayDeserializer());
        running = true;
        thread = new Thread(this::run, "webhook-dispatcher");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try {
            // deliveries look up the subscription's webhook: wait until the subscriptions are restored
            while (running && !matcher.ready()) {
                Thread.sleep(100);
            }
            consumer.subscribe(List.of(Topics.ALERTS.name()));
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                List<CompletableFuture<Void>> deliveries = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> record : records) {
                    deliveries.add(dispatch(record));
                }
                CompletableFuture.allOf(deliveries.toArray(CompletableFuture[]::new)).join();
                if (!records.isEmpty()) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            // shutting down
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("The webhook dispatcher stopped; alerts are still on " + Topics.ALERTS.name()
                    + " and are delivered from where it stopped after a restart", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private CompletableFuture<Void> dispatch(ConsumerRecord<String, byte[]> record) {
        Alert alert;
        try {
            alert = Topics.ALERTS.valueSerde().deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            deadLetter(record, e);
            return CompletableFuture.completedFuture(null);
        }
        if (alert == null) {
            return CompletableFuture.completedFuture(null);
        }
        Optional<String> url = matcher.subscriptions().get(alert.getSubscriptionId()).map(StandingQuery::getWebhookUrl);
        if (url.isEmpty()) {
            return CompletableFuture.completedFuture(null); // no webhook, or the subscription was deleted since
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(AlertJson.of(alert));
        } catch (IOException e) {
            deadLetter(record, e);
            return CompletableFuture.completedFuture(null);
        }
        return attempt(record, alert, url.get(), body, 1);
    }

    private CompletableFuture<Void> attempt(ConsumerRecord<String, byte[]> record, Alert alert, String url, byte[] body,
                                            int attempt) {
        URI uri;
        try {
            uri = WebhookUrls.check(url, config.allowLoopback());
        } catch (WebhookUrls.Refused e) {
            deadLetter(record, new IllegalStateException("webhook of subscription " + alert.getSubscriptionId()
                    + " refused before delivery: " + e.getMessage()));
            return CompletableFuture.completedFuture(null);
        }
        long now = Instant.now().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(config.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "PIRStream-Webhooks")
                .header(DELIVERY_HEADER, alert.getSubscriptionId() + ":" + alert.getChipId())
                .header(TIMESTAMP_HEADER, String.valueOf(now))
                .header(SIGNATURE_HEADER, signer.orElseThrow().signature(alert.getSubscriptionId(), now, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, error) -> {
            if (error == null && response.statusCode() / 100 == 2) {
                metrics.counter("pirstream.alerts.webhook.delivered").increment();
                return CompletableFuture.<Void>completedFuture(null);
            }
            String failure = error != null ? error.getClass().getSimpleName() + ": " + error.getMessage()
                    : "HTTP " + response.statusCode();
            metrics.counter("pirstream.alerts.webhook.failed.tries").increment();
            if (attempt >= config.attempts()) {
                deadLetter(record, new IllegalStateException("webhook " + url + " of subscription "
                        + alert.getSubscriptionId() + " failed " + attempt + " tries; last: " + failure));
                return CompletableFuture.<Void>completedFuture(null);
            }
            LOG.debugf("Webhook %s try %d failed (%s); retrying", url, attempt, failure);
            Executor later = CompletableFuture.delayedExecutor(backoff(attempt).toMillis(), TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, later)
                    .thenCompose(ignored -> attempt(record, alert, url, body, attempt + 1));
        }).thenCompose(next -> next);
    }

    /** The wait after the {@code attempt}-th failed try: initial backoff doubled per failure, capped. */
    Duration backoff(int attempt) {
        long millis = config.initialBackoff().toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, config.maxBackoff().toMillis()));
    }

    private Duration worstCase() {
        Duration total = config.timeout().multipliedBy(config.attempts());
        for (int attempt = 1; attempt < config.attempts(); attempt++) {
            total = total.plus(backoff(attempt));
        }
        return total;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, Exception cause) {
        metrics.counter("pirstream.alerts.webhook.dead.letters").increment();
        deadLetters.publish(DeadLetters.of(record.topic(), record.partition(), record.offset(),
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value(), PROCESSOR,
                cause, Instant.now()));
    }
}
