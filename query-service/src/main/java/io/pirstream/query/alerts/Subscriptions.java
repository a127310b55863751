package io.pirstream.query.alerts;

import io.pirstream.model.PirModel;
import io.pirstream.query.QueryConfig;
import io.pirstream.query.SearchEngine;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.QueryFilters;
import io.pirstream.schemas.avro.StandingQuery;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

/**
 * Standing queries of each client: created, changed and deleted by writing {@code pir.queries} (a tombstone deletes),
 * read from the matcher's subscription store. Every call names the owner; another owner's subscription is treated as
 * absent, so its id reveals nothing. A change returns once this instance's matcher sees it (bounded by
 * {@code pirstream.alerts.apply-timeout}), so a chip embedded after the answer is matched against it.
 */
@ApplicationScoped
public class Subscriptions {

    private static final Logger LOG = Logger.getLogger(Subscriptions.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    /** What a client asks for, validated except for the webhook. */
    public record Spec(String text, float threshold, QueryFilters filters, String webhookUrl) {
    }

    /** A subscription as stored, and its webhook secret when it has a webhook (shown once, at creation or change). */
    public record Saved(StandingQuery query, String webhookSecret) {
    }

    /** A request that cannot be carried out as asked; {@code reason} is the problem code. */
    public static final class Invalid extends RuntimeException {
        private final String reason;

        Invalid(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /** The subscription store is restoring, or Kafka is unreachable. */
    public static final class NotReady extends RuntimeException {
        NotReady(String message) {
            super(message);
        }
    }

    private final AlertMatcher matcher;
    private final SearchEngine engine;
    private final AlertsConfig config;
    private final Optional<WebhookSigner> signer;
    private final KafkaProducer<String, StandingQuery> producer;

    public Subscriptions(AlertMatcher matcher, SearchEngine engine, AlertsConfig config, QueryConfig query,
                         KafkaClients clients) {
        this.matcher = matcher;
        this.engine = engine;
        this.config = config;
        this.signer = config.webhook().signingKey().filter(key -> !key.isBlank()).map(WebhookSigner::new);
        this.producer = new KafkaProducer<>(clients.config(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                query.bootstrapServers(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG,
                "all", ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000)), Topics.QUERIES.keySerde().serializer(),
                Topics.QUERIES.valueSerde().serializer());
    }

    void onStop(@Observes ShutdownEvent event) {
        producer.close(Duration.ofSeconds(5));
    }

    /** Encodes the text with the active model and stores a new subscription. */
    public Saved create(String owner, Spec spec) {
        SubscriptionStore store = readyStore();
        long held = store.all().stream().filter(q -> q.getOwner().equals(owner)).count();
        if (held >= config.maxSubscriptionsPerOwner()) {
            throw new Invalid("SUBSCRIPTION_LIMIT", "You hold " + held + " subscriptions, the most allowed ("
                    + config.maxSubscriptionsPerOwner() + "); delete some first");
        }
        checkWebhook(spec.webhookUrl());
        String id = newId();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        StandingQuery query = encode(StandingQuery.newBuilder().setSubscriptionId(id).setOwner(owner).setCreatedAt(now)
                .setUpdatedAt(null), spec).build();
        write(id, query);
        awaitApplied(store, id, seen -> seen != null && seen.getCreatedAt().equals(now));
        return saved(query);
    }

    /** The owner's subscriptions, newest first. */
    public List<StandingQuery> list(String owner) {
        return sorted(readyStore().all().stream().filter(q -> q.getOwner().equals(owner)).toList());
    }

    /** Every client's subscriptions (operators), newest first. */
    public List<StandingQuery> listAll() {
        return sorted(new ArrayList<>(readyStore().all()));
    }

    public Optional<StandingQuery> get(String owner, String id) {
        return readyStore().get(id).filter(q -> q.getOwner().equals(owner));
    }

    /** Replaces text, threshold, filters and webhook of the owner's subscription; empty if there is none. */
    public Optional<Saved> update(String owner, String id, Spec spec) {
        SubscriptionStore store = readyStore();
        Optional<StandingQuery> existing = store.get(id).filter(q -> q.getOwner().equals(owner));
        if (existing.isEmpty()) {
            return Optional.empty();
        }
        checkWebhook(spec.webhookUrl());
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        StandingQuery query = encode(StandingQuery.newBuilder().setSubscriptionId(id).setOwner(owner)
                .setCreatedAt(existing.get().getCreatedAt()).setUpdatedAt(now), spec).build();
        write(id, query);
        awaitApplied(store, id, seen -> seen != null && now.equals(seen.getUpdatedAt()));
        return Optional.of(saved(query));
    }

    /** Deletes the owner's subscription (a tombstone); false if there is none. */
    public boolean delete(String owner, String id) {
        SubscriptionStore store = readyStore();
        if (store.get(id).filter(q -> q.getOwner().equals(owner)).isEmpty()) {
            return false;
        }
        write(id, null);
        awaitApplied(store, id, seen -> seen == null);
        return true;
    }

    /**
     * Sets the fields a client chose, and the encoding. Builders here always set every field: a default value, like a
     * builder copy, is resolved through the thread's context class loader, which in Quarkus may be the wrong one.
     */
    private StandingQuery.Builder encode(StandingQuery.Builder builder, Spec spec) {
        PirModel model = engine.model(); // once: the version and the vector must come from the same model
        return builder.setText(spec.text()).setThreshold(spec.threshold()).setFilters(spec.filters())
                .setWebhookUrl(spec.webhookUrl()).setModelVersion(model.version()).setVector(vector(model, spec.text()));
    }

    private static List<Float> vector(PirModel model, String text) {
        float[] vector = model.embedTexts(List.of(text))[0];
        List<Float> values = new ArrayList<>(vector.length);
        for (float v : vector) {
            values.add(v);
        }
        return values;
    }

    /**
     * Re-encodes every standing query that another model encoded with {@code model} (at a flip), keeping everything
     * else; returns how many were rewritten. Replicas that flip at the same time write the same records.
     */
    public int reencode(PirModel model) {
        int rewritten = 0;
        for (StandingQuery query : matcher.subscriptions().all()) {
            if (model.version().equals(query.getModelVersion())) {
                continue;
            }
            StandingQuery encoded = StandingQuery.newBuilder().setSubscriptionId(query.getSubscriptionId())
                    .setText(query.getText()).setThreshold(query.getThreshold()).setFilters(query.getFilters())
                    .setOwner(query.getOwner()).setCreatedAt(query.getCreatedAt()).setModelVersion(model.version())
                    .setVector(vector(model, query.getText())).setWebhookUrl(query.getWebhookUrl())
                    .setUpdatedAt(query.getUpdatedAt()).build();
            write(query.getSubscriptionId(), encoded);
            rewritten++;
        }
        return rewritten;
    }

    private Saved saved(StandingQuery query) {
        String secret = query.getWebhookUrl() == null ? null
                : signer.orElseThrow().secret(query.getSubscriptionId());
        return new Saved(query, secret);
    }

    private void checkWebhook(String url) {
        if (url == null) {
            return;
        }
        if (signer.isEmpty()) {
            throw new Invalid("WEBHOOKS_DISABLED", "This service has no webhook signing key"
                    + " (pirstream.alerts.webhook.signing-key), so it sends no webhooks; leave out 'webhookUrl' and use"
                    + " GET /v1/alerts/stream, or ask an operator to configure one");
        }
        try {
            WebhookUrls.check(url, config.webhook().allowLoopback());
        } catch (WebhookUrls.Refused e) {
            throw new Invalid("INVALID_WEBHOOK", e.getMessage());
        }
    }

    private void write(String id, StandingQuery query) {
        try {
            producer.send(new ProducerRecord<>(Topics.QUERIES.name(), id, query))
                    .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReady("interrupted while writing to " + Topics.QUERIES.name());
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw new NotReady("Kafka did not take the change within " + SEND_TIMEOUT + " (" + e.getMessage()
                    + "); nothing changed, retry shortly");
        }
    }

    /** Waits until the store shows the change; past the timeout the change still happens, just later. */
    private void awaitApplied(SubscriptionStore store, String id, Predicate<StandingQuery> applied) {
        long deadline = System.nanoTime() + config.applyTimeout().toNanos();
        while (!applied.test(store.get(id).orElse(null))) {
            if (System.nanoTime() > deadline) {
                LOG.warnf("Subscription %s was written but this instance's matcher did not see it within %s", id,
                        config.applyTimeout());
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private SubscriptionStore readyStore() {
        if (!matcher.ready()) {
            throw new NotReady("The subscription store is not ready (alert matcher state " + matcher.state()
                    + "): it is restoring from " + Topics.QUERIES.name() + " or Kafka is unreachable; retry shortly");
        }
        return matcher.subscriptions();
    }

    private static List<StandingQuery> sorted(List<StandingQuery> queries) {
        return queries.stream().sorted(Comparator.comparing(StandingQuery::getCreatedAt).reversed()
                .thenComparing(StandingQuery::getSubscriptionId)).toList();
    }

    private static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "sub_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
