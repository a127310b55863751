package io.pirstream.embed;

import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.ImageFormat;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.imagery.TestImagery;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Chip records with generated images for processor tests. */
final class Chips {

    static final Instant CAPTURED = Instant.parse("2026-11-01T10:00:00Z");

    private Chips() {
    }

    static Chip chip(String id, long seed) {
        return chip(id, TestImagery.png(64, 64, seed));
    }

    static Chip chip(String id, byte[] png) {
        return Chip.newBuilder().setChipId(id).setSceneId("scene-" + id)
                .setImage(ByteBuffer.wrap(png)).setFormat(ImageFormat.PNG)
                .setWidth(64).setHeight(64).setWindow(new PixelWindow(64, 0, 64, 64))
                .setSceneWidth(256).setSceneHeight(64).setSource(Source.DRONE).setPlatform("uav-3")
                .setCapturedAt(CAPTURED).setIngestedAt(Instant.now())
                .setGeo(new GeoBounds(8.5, 47.3, 8.6, 47.4)).build();
    }
}
