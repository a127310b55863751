package io.pirstream.ingest.imagery;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Deterministic ids, so that re-sending an image or scene produces the same Kafka keys and, on the
 * compacted topics, no new chips.
 *
 * <p>The scene digest is the SHA-256 of the <em>uploaded bytes</em>, not of the decoded pixels:
 * it costs one pass over the file, needs no decoding and does not depend on decoder versions (JPEG
 * decoders may differ in the last bit). The price: the same picture re-encoded, or with edited
 * metadata, is a new scene. A chip id is the SHA-256 of a version tag, the scene digest and the
 * window (x, y, width, height). The chip size and overlap are deliberately not included: the
 * window alone fixes which pixels a chip holds, so two tilings that produce the same window
 * produce the same chip and the same id. The output encoding (PNG/JPEG) is not included either: a
 * chip is the region of the source, however it is carried.
 */
public final class ChipIds {

    /** Bumped if the id recipe ever changes, so old and new ids cannot collide by accident. */
    static final String VERSION_TAG = "pirstream-chip-v1";

    private ChipIds() {}

    /** Lower-case hex SHA-256 of the uploaded file; also usable as the scene id. */
    public static String sceneDigest(byte[] sourceBytes) {
        Objects.requireNonNull(sourceBytes, "sourceBytes must not be null");
        return HexFormat.of().formatHex(sha256().digest(sourceBytes));
    }

    /** The id of {@code window} of the upload whose {@link #sceneDigest} is {@code sceneDigest}. */
    public static String chipId(String sceneDigest, PixelWindow window) {
        Objects.requireNonNull(sceneDigest, "sceneDigest must not be null");
        Objects.requireNonNull(window, "window must not be null");
        MessageDigest md = sha256();
        md.update(VERSION_TAG.getBytes(StandardCharsets.US_ASCII));
        md.update((byte) 0);
        md.update(sceneDigest.getBytes(StandardCharsets.US_ASCII));
        md.update((byte) 0);
        md.update(ByteBuffer.allocate(16).putInt(window.x()).putInt(window.y()).putInt(window.width()).putInt(window.height()).array());
        return HexFormat.of().formatHex(md.digest());
    }

    /** Shorthand for {@code chipId(sceneDigest(sourceBytes), window)}. */
    public static String chipId(byte[] sourceBytes, PixelWindow window) {
        return chipId(sceneDigest(sourceBytes), window);
    }

    /** Whether {@code id} has the form of a chip id: 64 lower-case hex digits. */
    public static boolean isChipId(String id) {
        return id.length() == 64 && id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
