package io.pirstream.imagery;

import java.util.Optional;

/** The image formats ingest accepts, recognised by their magic bytes (never by file name). */
public enum ImageFormat {
    JPEG("jpeg"),
    PNG("png"),
    /** Baseline TIFF, including GeoTIFF (classic 32-bit offsets; BigTIFF is not supported). */
    TIFF("tiff");

    private final String imageIoName;

    ImageFormat(String imageIoName) {
        this.imageIoName = imageIoName;
    }

    /** The format name javax.imageio knows the reader by. */
    public String imageIoName() {
        return imageIoName;
    }

    /** The accepted format the bytes start with, if any. */
    public static Optional<ImageFormat> sniff(byte[] b) {
        if (startsWith(b, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(PNG);
        }
        if (startsWith(b, 'I', 'I', 42, 0) || startsWith(b, 'M', 'M', 0, 42)) {
            return Optional.of(TIFF);
        }
        return Optional.empty();
    }

    /**
     * A best-effort name for bytes that are not an accepted format, so that a rejection can say what
     * was sent ("looks like GIF") rather than only what was expected.
     */
    public static String describeUnsupported(byte[] b) {
        if (startsWith(b, 'G', 'I', 'F', '8')) {
            return "GIF";
        }
        if (startsWith(b, 'R', 'I', 'F', 'F') && b.length >= 12 && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "WebP";
        }
        if (startsWith(b, 'B', 'M')) {
            return "BMP";
        }
        if (startsWith(b, 'I', 'I', 43, 0) || startsWith(b, 'M', 'M', 0, 43)) {
            return "BigTIFF";
        }
        if (b.length >= 12 && b[4] == 'f' && b[5] == 't' && b[6] == 'y' && b[7] == 'p') {
            return "an ISO media file (HEIC/AVIF/MP4)";
        }
        if (startsWith(b, 0x00, 0x00, 0x00, 0x0C, 'j', 'P') || startsWith(b, 0xFF, 0x4F, 0xFF, 0x51)) {
            return "JPEG 2000";
        }
        if (startsWith(b, '%', 'P', 'D', 'F')) {
            return "PDF";
        }
        if (looksLikeMarkup(b)) {
            return "SVG or other XML (vector and markup images are not accepted)";
        }
        StringBuilder hex = new StringBuilder("unknown data starting with bytes");
        for (int i = 0; i < Math.min(8, b.length); i++) {
            hex.append(String.format(" %02X", b[i] & 0xFF));
        }
        return hex.toString();
    }

    /** Text starting with '<' after optional whitespace or a UTF-8 byte-order mark, as XML and SVG do. */
    private static boolean looksLikeMarkup(byte[] b) {
        int i = startsWith(b, 0xEF, 0xBB, 0xBF) ? 3 : 0;
        while (i < b.length && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) {
            i++;
        }
        return i < b.length && b[i] == '<';
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
