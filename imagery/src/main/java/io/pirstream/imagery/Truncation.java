package io.pirstream.imagery;

/**
 * End-of-file checks. ImageIO decodes a JPEG or PNG cut off in transfer without an exception
 * (missing rows come out grey or black), so completeness is checked on the bytes themselves.
 */
final class Truncation {

    /**
     * Some encoders pad a JPEG after its end-of-image marker (zeros, or a short trailer); up to this
     * many trailing bytes are searched for EOI.
     */
    static final int JPEG_TRAILER_SLACK = 64;

    private static final byte[] IEND = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};

    private Truncation() {}

    /** Whether FF D9 (EOI) occurs within the last {@link #JPEG_TRAILER_SLACK} bytes. */
    static boolean jpegHasEoi(byte[] b) {
        for (int i = b.length - 2; i >= Math.max(2, b.length - JPEG_TRAILER_SLACK); i--) {
            if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xD9) {
                return true;
            }
        }
        return false;
    }

    /** Whether the file ends with the (always identical) 12-byte IEND chunk. */
    static boolean pngHasIend(byte[] b) {
        if (b.length < IEND.length) {
            return false;
        }
        for (int i = 0; i < IEND.length; i++) {
            if (b[b.length - IEND.length + i] != IEND[i]) {
                return false;
            }
        }
        return true;
    }
}
