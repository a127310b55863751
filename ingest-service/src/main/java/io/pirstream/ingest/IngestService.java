package io.pirstream.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.service.api.ProblemException;
import io.pirstream.ingest.imagery.ChipEncoder;
import io.pirstream.ingest.imagery.ChipFormat;
import io.pirstream.ingest.imagery.ChipIds;
import io.pirstream.ingest.imagery.GeoBounds;
import io.pirstream.ingest.imagery.GeoReference;
import io.pirstream.ingest.imagery.PixelWindow;
import io.pirstream.ingest.imagery.Tiler;
import io.pirstream.ingest.kafka.ChipPublisher;
import io.pirstream.ingest.kafka.KafkaUnavailableException;
import io.pirstream.ingest.kafka.SceneCatalog;
import io.pirstream.ingest.kafka.WritersBusyException;
import io.pirstream.imagery.DecodedImage;
import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageFormat;
import io.pirstream.imagery.ImageHeader;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.SceneManifest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The ingest pipeline shared by every entry point (HTTP frames, HTTP scenes, the drop folder): validate, refuse
 * what would be too much work from the header alone, decode (a bounded number at a time), cut into chips, spool them
 * and write them in one Kafka transaction per upload.
 */
@ApplicationScoped
public class IngestService {

    private static final Logger LOG = Logger.getLogger(IngestService.class);

    /** What kind of upload: frames are camera images, scenes may be large georeferenced rasters. */
    public enum Kind {
        FRAME(EnumSet.of(ImageFormat.JPEG, ImageFormat.PNG)),
        SCENE(EnumSet.of(ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.TIFF));

        private final Set<ImageFormat> formats;

        Kind(Set<ImageFormat> formats) {
            this.formats = formats;
        }
    }

    private final IngestConfig config;
    private final ChipPublisher publisher;
    private final SceneCatalog catalog;
    private final DecodingSlots slots;
    private final MeterRegistry metrics;
    private final Clock clock;
    /** Where an upload's encoded chips wait until all are made. */
    private final Path spoolDir;
    /** Chips encoded in parallel before they are sent: what an upload holds in memory besides its raster. */
    private final int encodeBatch = 2 * Runtime.getRuntime().availableProcessors();

    public IngestService(IngestConfig config, ChipPublisher publisher, SceneCatalog catalog, DecodingSlots slots,
                         MeterRegistry metrics) {
        this.config = config;
        this.publisher = publisher;
        this.catalog = catalog;
        this.slots = slots;
        this.metrics = metrics;
        this.clock = Clock.systemUTC();
        this.spoolDir = Path.of(config.spoolDir().orElse(System.getProperty("java.io.tmpdir")));
        try {
            defaultTiler();
        } catch (ProblemException e) {
            throw new IllegalStateException("pirstream.ingest.chip-size / overlap: " + e.getMessage(), e);
        }
    }

    /** Configured chip size and overlap, for callers that take no tiling parameters. */
    public Tiler defaultTiler() {
        return tiler(null, null);
    }

    /**
     * Tiling from optional request values, falling back to the configured defaults. Bounds the work per pixel: the
     * chip size has a minimum and the overlap must stay below half a chip (so a pixel is in at most 4 chips).
     */
    public Tiler tiler(Integer chipSize, Integer overlap) {
        int size = chipSize == null ? config.chipSize() : chipSize;
        int over = overlap == null ? config.overlap() : overlap;
        if (size < config.minChipSize() || size > config.maxChipSize()) {
            throw reject("INVALID_TILING", "chipSize must be " + config.minChipSize() + ".." + config.maxChipSize()
                    + " pixels; got " + size);
        }
        if (over < 0 || 2 * over >= size) {
            throw reject("INVALID_TILING", "overlap must be 0.." + ((size - 1) / 2) + " pixels (less than half of"
                    + " chipSize " + size + "); got " + over);
        }
        return new Tiler(size, over);
    }

    public Clock clock() {
        return clock;
    }

    public IngestConfig config() {
        return config;
    }

    /** Largest file accepted for this kind of upload. */
    public long maxBytes(Kind kind) {
        return kind == Kind.FRAME ? config.maxFrameBytes() : config.maxSceneBytes();
    }

    /**
     * Ingests one uploaded file. Symbolic links are not followed.
     *
     * @throws ProblemException 4xx for bad input, 503 when this service is busy or Kafka does not take the write;
     *     in every case nothing of the upload is committed to the chips topic
     * @throws IOException if the file cannot be read (it vanished, or is not readable)
     */
    public IngestResult ingest(Kind kind, Path file, UploadMetadata metadata, Tiler tiler) throws IOException {
        // 1. refuse by size before reading, and wait (bounded) for a decoding slot before holding anything
        long maxBytes = maxBytes(kind);
        long size = Files.size(file);
        if (size > maxBytes) {
            throw tooManyBytes(size, maxBytes);
        }
        try (DecodingSlots.Slot slot = slots.acquire().orElseThrow(this::decodingBusy)) {
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes((int) maxBytes + 1); // the file may have grown since it was measured
            }
            if (bytes.length > maxBytes) {
                throw tooManyBytes(bytes.length, maxBytes);
            }
            return ingest(kind, bytes, metadata, tiler);
        }
    }

    private IngestResult ingest(Kind kind, byte[] bytes, UploadMetadata metadata, Tiler tiler) {
        // 2. from the header alone: limits (bytes, pixels), format, number of chips
        ImageDecoder decoder = new ImageDecoder(new ImageLimits(maxBytes(kind), config.maxPixels(),
                ImageLimits.DEFAULTS.maxSide()));
        ImageHeader header = rejectingImages(() -> decoder.header(bytes));
        if (!kind.formats.contains(header.format())) {
            throw reject(Response.Status.UNSUPPORTED_MEDIA_TYPE, ImageRejectedException.Reason.UNSUPPORTED_FORMAT.name(),
                    "A " + kind.name().toLowerCase(Locale.ROOT) + " must be one of " + kind.formats + "; got "
                            + header.format() + (kind == Kind.FRAME ? " (upload rasters to /v1/scenes)" : ""));
        }
        long chipCount = tiler.chipCount(header.width(), header.height());
        if (chipCount > config.maxChips()) {
            throw reject(Response.Status.REQUEST_ENTITY_TOO_LARGE, "TOO_MANY_CHIPS", String.format(Locale.ROOT,
                    "%,d x %,d px at chipSize %d and overlap %d gives %,d chips; at most %,d are accepted per upload"
                            + " (pirstream.ingest.max-chips): use larger chips, less overlap, or split the scene",
                    header.width(), header.height(), tiler.chipSize(), tiler.overlap(), chipCount, config.maxChips()));
        }
        // 3. decode; locate: GeoTIFF tags win over request metadata; other CRSs keep pixel windows only
        DecodedImage image = rejectingImages(() -> decoder.decode(bytes));
        Located located = locate(image, metadata);
        // 4. cut and encode every chip into the spool (a batch of encoded chips in memory, not all), then send them
        // in one transaction: it stays open only while they are sent, not while they are made, since every
        // read_committed reader of the partitions it writes waits for it
        String sceneId = ChipIds.sceneDigest(bytes);
        List<PixelWindow> windows = tiler.windows(image.width(), image.height());
        Instant ingestedAt = clock.instant();
        List<IngestResult.ChipRef> refs = new ArrayList<>(windows.size());
        LongAdder chipBytes = new LongAdder();
        long cutFrom = System.nanoTime();
        try (ChipSpool spool = new ChipSpool(spoolDir)) {
            for (int from = 0; from < windows.size(); from += encodeBatch) {
                List<Chip> batch = windows.subList(from, Math.min(windows.size(), from + encodeBatch)).parallelStream()
                        .map(window -> chip(sceneId, image, window, metadata, located, ingestedAt))
                        .toList();
                for (Chip chip : batch) {
                    requireFits(chip);
                    spool.add(chip);
                    refs.add(ref(chip));
                    chipBytes.add(chip.getImage().remaining());
                }
            }
            long sendFrom = System.nanoTime();
            SceneManifest manifest = manifest(sceneId, refs, ingestedAt);
            inTransaction(transaction -> {
                spool.forEach(transaction::send);
                transaction.sendManifest(sceneId, manifest);
            });
            LOG.debugf("Scene %s: %d chips (%,d bytes) cut and encoded in %d ms, then sent and committed in %d ms",
                    sceneId, refs.size(), chipBytes.sum(), (sendFrom - cutFrom) / 1_000_000,
                    (System.nanoTime() - sendFrom) / 1_000_000);
        }
        metrics.counter("pirstream.ingest.uploads", "kind", kind.name()).increment();
        metrics.counter("pirstream.ingest.chips", "kind", kind.name()).increment(refs.size());
        metrics.counter("pirstream.ingest.bytes", "kind", kind.name()).increment(bytes.length);
        metrics.counter("pirstream.ingest.chip.bytes", "kind", kind.name()).increment(chipBytes.sum());
        return new IngestResult(sceneId, image.width(), image.height(), located.mode(), located.crs(), located.note(),
                refs.size(), refs);
    }

    /**
     * Deletes chips: a tombstone per id on the chips topic, all in one transaction. The chips' embeddings and index
     * entries follow; the chip records themselves stay in the topic's history until retention removes them.
     *
     * @throws ProblemException 400 for an id that is not a chip id, 503 when Kafka does not take the write
     */
    public void delete(List<String> chipIds) {
        for (String id : chipIds) {
            if (id == null || !ChipIds.isChipId(id)) {
                throw reject("INVALID_CHIP_ID", "'" + id + "' is not a chip id (64 lower-case hex digits, as in an"
                        + " upload's answer)");
            }
        }
        inTransaction(transaction -> chipIds.forEach(transaction::delete));
        metrics.counter("pirstream.ingest.deletes").increment(chipIds.size());
    }

    /**
     * The manifest of an upload: its chips and those of earlier uploads of the same scene (another tiling gives other
     * chips), as far as this instance's catalog knows them.
     */
    private SceneManifest manifest(String sceneId, List<IngestResult.ChipRef> refs, Instant now) {
        LinkedHashSet<String> ids = new LinkedHashSet<>(catalog.chipIds(sceneId).orElse(List.of()));
        refs.forEach(ref -> ids.add(ref.chipId()));
        return SceneManifest.newBuilder().setSceneId(sceneId).setChipIds(List.copyOf(ids)).setUpdatedAt(now).build();
    }

    /**
     * Deletes a scene: a tombstone for each of its chips on the chips topic and for its manifest, in one transaction.
     * Its embeddings and index entries follow.
     *
     * @return the chip ids deleted
     * @throws ProblemException 400 for an id that is not a scene id, 404 for a scene unknown (never uploaded, or
     *     deleted), 503 while the catalog of scenes is still loading or Kafka does not take the write
     */
    public List<String> deleteScene(String sceneId) {
        if (sceneId == null || !ChipIds.isChipId(sceneId)) {
            throw reject("INVALID_SCENE_ID", "'" + sceneId + "' is not a scene id (64 lower-case hex digits, the"
                    + " sceneId of an upload's answer)");
        }
        if (!catalog.loaded()) {
            metrics.counter("pirstream.ingest.rejects", "reason", "SCENES_LOADING").increment();
            throw ProblemException.busy(Response.Status.SERVICE_UNAVAILABLE, "SCENES_LOADING", "This instance is"
                    + " still reading the scene manifests (" + catalog.topic().name() + "); retry shortly",
                    publisher.maxBlock());
        }
        List<String> chipIds = catalog.chipIds(sceneId).orElseThrow(() -> reject(Response.Status.NOT_FOUND,
                "SCENE_NOT_FOUND", "No scene " + sceneId + ": never uploaded, or already deleted"));
        inTransaction(transaction -> {
            chipIds.forEach(transaction::delete);
            transaction.sendManifest(sceneId, null);
        });
        metrics.counter("pirstream.ingest.deletes").increment(chipIds.size());
        return chipIds;
    }

    /**
     * Runs {@code work} in one transaction on the chips topic and commits it; a failure of Kafka, or all writers
     * busy, becomes the 503 to answer. Any exception aborts the transaction: nothing of it is visible.
     */
    private void inTransaction(Consumer<ChipPublisher.Transaction> work) {
        try (ChipPublisher.Transaction transaction = publisher.begin()) {
            work.accept(transaction);
            transaction.commit();
        } catch (KafkaUnavailableException e) {
            metrics.counter("pirstream.ingest.rejects", "reason", "KAFKA_UNAVAILABLE").increment();
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "KAFKA_UNAVAILABLE", e.getMessage(), e);
        } catch (WritersBusyException e) {
            metrics.counter("pirstream.ingest.rejects", "reason", "KAFKA_WRITERS_BUSY").increment();
            throw ProblemException.busy(Response.Status.SERVICE_UNAVAILABLE, "KAFKA_WRITERS_BUSY", e.getMessage(),
                    publisher.maxBlock());
        }
    }

    /** Counts a rejection (400) by reason; used for rejects found before {@link #ingest} runs. */
    public ProblemException reject(String reason, String detail) {
        return reject(Response.Status.BAD_REQUEST, reason, detail);
    }

    /** Counts a rejection by reason and returns the problem to throw. */
    public ProblemException reject(Response.Status status, String reason, String detail) {
        metrics.counter("pirstream.ingest.rejects", "reason", reason).increment();
        return new ProblemException(status, reason, detail);
    }

    /** A chip over this size would be refused by the chips topic; its metadata takes the rest of a record. */
    static final int MAX_CHIP_BYTES = Topics.MAX_MESSAGE_BYTES - 64 * 1024;

    private void requireFits(Chip chip) {
        int size = chip.getImage().remaining();
        if (size > MAX_CHIP_BYTES) {
            var w = chip.getWindow();
            throw reject(Response.Status.REQUEST_ENTITY_TOO_LARGE, "CHIP_TOO_LARGE", String.format(Locale.ROOT,
                    "The chip at (%d, %d) encodes to %,d bytes of PNG; a chip record holds at most %,d: use a smaller"
                            + " chipSize (this one is %d px); nothing was written", w.getX(), w.getY(), size,
                    MAX_CHIP_BYTES, w.getWidth()));
        }
    }

    private ProblemException tooManyBytes(long size, long maxBytes) {
        return reject(Response.Status.REQUEST_ENTITY_TOO_LARGE, ImageRejectedException.Reason.TOO_LARGE_BYTES.name(),
                String.format(Locale.ROOT, "The file has %,d bytes; at most %,d are accepted here", size, maxBytes));
    }

    private ProblemException decodingBusy() {
        metrics.counter("pirstream.ingest.rejects", "reason", "INGEST_BUSY").increment();
        return ProblemException.busy(Response.Status.SERVICE_UNAVAILABLE, "INGEST_BUSY", "All " + slots.count()
                + " decoding slots (pirstream.ingest.max-concurrent-uploads) stayed taken by other uploads for "
                + slots.waitLimit() + "; Kafka is fine, retry shortly", slots.waitLimit());
    }

    /** Something that decodes, with its {@link ImageRejectedException} turned into the problem to answer. */
    private interface ImageStep<T> {
        T run() throws ImageRejectedException;
    }

    private <T> T rejectingImages(ImageStep<T> step) {
        try {
            return step.run();
        } catch (ImageRejectedException e) {
            metrics.counter("pirstream.ingest.rejects", "reason", e.reason().name()).increment();
            Response.Status status = switch (e.reason()) {
                case TOO_LARGE_BYTES, TOO_MANY_PIXELS, SIDE_TOO_LONG -> Response.Status.REQUEST_ENTITY_TOO_LARGE;
                case UNSUPPORTED_FORMAT -> Response.Status.UNSUPPORTED_MEDIA_TYPE;
                default -> Response.Status.BAD_REQUEST;
            };
            throw new ProblemException(status, e.reason().name(), e.getMessage(), e);
        }
    }

    private static IngestResult.ChipRef ref(Chip chip) {
        var w = chip.getWindow();
        var g = chip.getGeo();
        return new IngestResult.ChipRef(chip.getChipId(), new PixelWindow(w.getX(), w.getY(), w.getWidth(),
                w.getHeight()), g == null ? null : new GeoBounds(g.getWest(), g.getSouth(), g.getEast(), g.getNorth()));
    }

    /** How chips of this upload are placed on the earth. */
    private record Located(String mode, GeoReference reference, String crs, String note) {
    }

    private Located locate(DecodedImage image, UploadMetadata metadata) {
        GeoReference geo = GeoReference.of(image);
        if (geo.hasBounds()) {
            return new Located("WGS84", geo, null, null);
        }
        if (metadata.bounds().isPresent() && isPoint(metadata.bounds().get())) {
            return new Located("METADATA", null, geo.crs().orElse(null), "Only a centre point was given: every chip"
                    + " carries it as degenerate bounds");
        }
        if (metadata.bounds().isPresent()) {
            GeoBounds b = metadata.bounds().get();
            GeoReference fromRequest = GeoReference.wgs84(b.west(), b.north(),
                    (b.east() - b.west()) / image.width(), (b.north() - b.south()) / image.height());
            String note = geo.kind() == GeoReference.Kind.UNSUPPORTED
                    ? "The raster's own georeferencing (" + geo.detail() + ") was ignored; the request's bounds were"
                    + " used, assuming a north-up image" : null;
            return new Located("METADATA", fromRequest, geo.crs().orElse(null), note);
        }
        if (geo.kind() == GeoReference.Kind.UNSUPPORTED) {
            return new Located("PIXEL_WINDOWS_ONLY", null, geo.crs().orElse(null),
                    "The raster is georeferenced in " + geo.crs().orElse("an unsupported way") + " (" + geo.detail()
                            + "); only north-up EPSG:4326 is turned into lon/lat bounds, so chips carry pixel windows"
                            + " and the CRS");
        }
        return new Located("PIXEL_WINDOWS_ONLY", null, null, null);
    }

    private static boolean isPoint(GeoBounds bounds) {
        return bounds.west() == bounds.east() || bounds.south() == bounds.north();
    }

    private static Chip chip(String sceneId, DecodedImage image, PixelWindow window, UploadMetadata metadata,
                             Located located, Instant ingestedAt) {
        byte[] encoded = ChipEncoder.chip(image.image(), window, ChipFormat.PNG);
        Chip.Builder chip = Chip.newBuilder()
                .setChipId(ChipIds.chipId(sceneId, window))
                .setSceneId(sceneId)
                .setImage(ByteBuffer.wrap(encoded))
                .setFormat(io.pirstream.schemas.avro.ImageFormat.PNG)
                .setWidth(window.width())
                .setHeight(window.height())
                .setWindow(new io.pirstream.schemas.avro.PixelWindow(window.x(), window.y(), window.width(),
                        window.height()))
                .setSceneWidth(image.width())
                .setSceneHeight(image.height())
                .setSource(metadata.source())
                .setPlatform(metadata.platform())
                .setCapturedAt(metadata.capturedAt())
                .setIngestedAt(ingestedAt)
                .setCrs(located.crs())
                .setSceneLabel(metadata.sceneLabel().orElse(null));
        GeoBounds point = metadata.bounds().filter(IngestService::isPoint).orElse(null);
        if (located.reference() != null || point != null) {
            GeoBounds b = point != null ? point : located.reference().bounds(window);
            chip.setGeo(new io.pirstream.schemas.avro.GeoBounds(b.west(), b.south(), b.east(), b.north()));
        }
        return chip.build();
    }
}
