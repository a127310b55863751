package io.pirstream.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.service.api.ProblemException;
import io.pirstream.ingest.imagery.ChipEncoder;
import io.pirstream.ingest.imagery.ChipFormat;
import io.pirstream.ingest.imagery.ChipIds;
import io.pirstream.ingest.imagery.DecodedImage;
import io.pirstream.ingest.imagery.GeoBounds;
import io.pirstream.ingest.imagery.GeoReference;
import io.pirstream.ingest.imagery.ImageDecoder;
import io.pirstream.ingest.imagery.ImageFormat;
import io.pirstream.ingest.imagery.ImageLimits;
import io.pirstream.ingest.imagery.ImageRejectedException;
import io.pirstream.ingest.imagery.PixelWindow;
import io.pirstream.ingest.imagery.Tiler;
import io.pirstream.ingest.kafka.ChipPublisher;
import io.pirstream.ingest.kafka.KafkaUnavailableException;
import io.pirstream.schemas.avro.Chip;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The ingest pipeline shared by every entry point (HTTP frames, HTTP scenes, the drop folder): validate,
 * decode, cut into chips, write all chips of the upload in one Kafka transaction.
 */
@ApplicationScoped
public class IngestService {

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
    private final MeterRegistry metrics;
    private final Clock clock;

    public IngestService(IngestConfig config, ChipPublisher publisher, MeterRegistry metrics) {
        this.config = config;
        this.publisher = publisher;
        this.metrics = metrics;
        this.clock = Clock.systemUTC();
    }

    /** Configured chip size and overlap, for callers that take no tiling parameters. */
    public Tiler defaultTiler() {
        return new Tiler(config.chipSize(), config.overlap());
    }

    /** Tiling from optional request values, falling back to the configured defaults. */
    public Tiler tiler(Integer chipSize, Integer overlap) {
        int size = chipSize == null ? config.chipSize() : chipSize;
        int over = overlap == null ? config.overlap() : overlap;
        if (size < 32 || size > 2048) {
            throw reject("INVALID_TILING", "chipSize must be 32..2048 pixels; got " + size);
        }
        try {
            return new Tiler(size, over);
        } catch (IllegalArgumentException e) {
            throw reject("INVALID_TILING", e.getMessage());
        }
    }

    public Clock clock() {
        return clock;
    }

    public IngestConfig config() {
        return config;
    }

    /**
     * Ingests one upload.
     *
     * @throws ProblemException 4xx for bad input, 503 when Kafka does not take the write; in every case nothing
     *     of the upload is committed to the chips topic
     */
    public IngestResult ingest(Kind kind, byte[] bytes, UploadMetadata metadata, Tiler tiler) {
        // 1. decode with limits (size, pixels, format), before any work proportional to the claimed size
        long maxBytes = kind == Kind.FRAME ? config.maxFrameBytes() : config.maxSceneBytes();
        DecodedImage image = decode(kind, bytes, maxBytes);
        // 2. locate: GeoTIFF tags win over request metadata; other CRSs keep pixel windows only
        Located located = locate(image, metadata);
        // 3. cut and encode every chip, ids derived from content + window
        String sceneId = ChipIds.sceneDigest(bytes);
        List<PixelWindow> windows = tiler.windows(image.width(), image.height());
        Instant ingestedAt = clock.instant();
        List<Chip> chips = windows.parallelStream()
                .map(window -> chip(sceneId, image, window, metadata, located, ingestedAt))
                .toList();
        // 4. all chips in one transaction
        try {
            publisher.publishAll(chips);
        } catch (KafkaUnavailableException e) {
            metrics.counter("pirstream.ingest.rejects", "reason", "KAFKA_UNAVAILABLE").increment();
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "KAFKA_UNAVAILABLE", e.getMessage(), e);
        }
        long chipBytes = chips.stream().mapToLong(chip -> chip.getImage().remaining()).sum();
        metrics.counter("pirstream.ingest.uploads", "kind", kind.name()).increment();
        metrics.counter("pirstream.ingest.chips", "kind", kind.name()).increment(chips.size());
        metrics.counter("pirstream.ingest.bytes", "kind", kind.name()).increment(bytes.length);
        metrics.counter("pirstream.ingest.chip.bytes", "kind", kind.name()).increment(chipBytes);

        List<IngestResult.ChipRef> refs = chips.stream().map(chip -> new IngestResult.ChipRef(chip.getChipId(),
                new PixelWindow(chip.getWindow().getX(), chip.getWindow().getY(), chip.getWindow().getWidth(),
                        chip.getWindow().getHeight()),
                chip.getGeo() == null ? null : new GeoBounds(chip.getGeo().getWest(), chip.getGeo().getSouth(),
                        chip.getGeo().getEast(), chip.getGeo().getNorth()))).toList();
        return new IngestResult(sceneId, image.width(), image.height(), located.mode(), located.crs(), located.note(),
                refs.size(), refs);
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

    private DecodedImage decode(Kind kind, byte[] bytes, long maxBytes) {
        ImageLimits limits = new ImageLimits(maxBytes, config.maxPixels(), ImageLimits.DEFAULTS.maxSide());
        try {
            DecodedImage image = new ImageDecoder(limits).decode(bytes);
            if (!kind.formats.contains(image.format())) {
                throw new ImageRejectedException(ImageRejectedException.Reason.UNSUPPORTED_FORMAT,
                        "A " + kind.name().toLowerCase(java.util.Locale.ROOT) + " must be one of " + kind.formats + "; got "
                                + image.format() + (kind == Kind.FRAME ? " (upload rasters to /v1/scenes)" : ""));
            }
            return image;
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

    /** How chips of this upload are placed on the earth. */
    private record Located(String mode, GeoReference reference, String crs, String note) {
    }

    private Located locate(DecodedImage image, UploadMetadata metadata) {
        GeoReference geo = image.geo();
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
