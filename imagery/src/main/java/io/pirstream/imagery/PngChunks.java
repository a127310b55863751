package io.pirstream.imagery;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Checks the chunk structure of a PNG. ImageIO's reader ignores chunk CRCs, so a file damaged in transfer or
 * storage decodes into wrong pixels without complaint; the CRCs are what PNG carries to notice that.
 */
final class PngChunks {

    private static final int SIGNATURE_LENGTH = 8;

    private PngChunks() {
    }

    /**
     * The first structural fault: a chunk running past the end of the file, or a CRC that does not match its chunk;
     * empty when every chunk up to IEND is intact.
     */
    static Optional<String> firstFault(byte[] b) {
        int at = SIGNATURE_LENGTH;
        while (at + 12 <= b.length) {
            long length = readInt(b, at) & 0xFFFFFFFFL;
            String type = new String(b, at + 4, 4, StandardCharsets.ISO_8859_1);
            if (length > b.length - at - 12L) {
                return Optional.of(String.format(Locale.ROOT, "chunk '%s' at byte %,d claims %,d bytes, more than the"
                        + " file holds", printable(type), at, length));
            }
            CRC32 crc = new CRC32();
            crc.update(b, at + 4, 4 + (int) length);
            long stored = readInt(b, at + 8 + (int) length) & 0xFFFFFFFFL;
            if (crc.getValue() != stored) {
                return Optional.of(String.format(Locale.ROOT, "chunk '%s' at byte %,d fails its CRC check (stored %08x,"
                        + " computed %08x)", printable(type), at, stored, crc.getValue()));
            }
            if (type.equals("IEND")) {
                return Optional.empty();
            }
            at += 12 + (int) length;
        }
        return Optional.of("the chunks end without an IEND chunk");
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 0x21 && c <= 0x7E) ? type : "?";
    }
}
