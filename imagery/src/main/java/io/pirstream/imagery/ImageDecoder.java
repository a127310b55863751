package io.pirstream.imagery;

import io.pirstream.imagery.ImageRejectedException.Reason;
import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns encoded image bytes into pixels, or into an {@link ImageRejectedException} that says why not. The one decoder
 * of the system: ingest decodes uploads with it, the embed-processor chips read from {@code pir.chips} (by any
 * producer), the model's data readers training and evaluation images; each with its own {@link ImageLimits}.
 *
 * <p>Thread-safe: every call creates its own {@link ImageReader}.
 */
public final class ImageDecoder {

    private static final String ACCEPTED = "accepted formats are JPEG, PNG and TIFF/GeoTIFF";

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits must not be null");
    }

    public ImageLimits limits() {
        return limits;
    }

    /**
     * Reads only the header of the first image in {@code bytes}: steps 1 to 3 of {@link #decode}. Cheap whatever
     * the header claims, so callers can refuse work proportional to the image (chips) before decoding it.
     */
    public ImageHeader header(byte[] bytes) throws ImageRejectedException {
        ImageFormat format = checkBytes(bytes);
        ImageReader reader = reader(format);
        try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
            reader.setInput(in, true, false);
            return checkDimensions(format, bytes, reader);
        } catch (IOException e) {
            throw new IllegalStateException("closing an in-memory image stream failed", e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Decodes the first image in {@code bytes}.
     *
     * <p>1. reject empty and over-size input; 2. recognise the format by its magic bytes; 3. read
     * only the header and reject over-limit dimensions, so a decompression bomb never gets a pixel
     * buffer; 4. reject files cut short (JPEG without EOI, PNG without IEND; the TIFF reader checks
     * its strips itself), because ImageIO would quietly fill the missing part with grey, and PNG chunks whose
     * CRC does not match, which ImageIO ignores;
     * 5. decode, treating any reader warning as corruption; 6. for TIFF, keep its tags (the georeferencing).
     */
    public DecodedImage decode(byte[] bytes) throws ImageRejectedException {
        ImageFormat format = checkBytes(bytes);
        ImageReader reader = reader(format);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener(collectInto(warnings));
        try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
            reader.setInput(in, true, false);
            checkDimensions(format, bytes, reader);
            IIOMetadata metadata = format == ImageFormat.TIFF ? tiffMetadata(bytes, reader) : null;
            checkComplete(format, bytes);
            BufferedImage image = readPixels(format, bytes, reader);
            if (!warnings.isEmpty()) {
                throw new ImageRejectedException(Reason.CORRUPT,
                        "the " + format + " file is damaged: the decoder reported \"" + String.join("; ", warnings) + "\"");
            }
            return new DecodedImage(format, image, Optional.ofNullable(metadata));
        } catch (IOException e) {
            // Only close() can get here, and closing an in-memory stream does not fail.
            throw new IllegalStateException("closing an in-memory image stream failed", e);
        } finally {
            reader.dispose();
        }
    }

    /** Steps 1 and 2: not empty, not too many bytes, a format we read. */
    private ImageFormat checkBytes(byte[] bytes) throws ImageRejectedException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageRejectedException(Reason.EMPTY, "the image is empty (0 bytes); send a JPEG, PNG or TIFF image");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageRejectedException(Reason.TOO_LARGE_BYTES, String.format(Locale.ROOT,
                    "the file is %,d bytes; the limit is %,d bytes", (long) bytes.length, limits.maxBytes()));
        }
        return ImageFormat.sniff(bytes).orElseThrow(() -> new ImageRejectedException(Reason.UNSUPPORTED_FORMAT,
                "unsupported image format (" + ImageFormat.describeUnsupported(bytes) + "); " + ACCEPTED));
    }

    private ImageHeader checkDimensions(ImageFormat format, byte[] bytes, ImageReader reader) throws ImageRejectedException {
        int width;
        int height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw corruptOrTruncated(format, bytes, "its header could not be read", e);
        }
        if (width <= 0 || height <= 0) {
            throw new ImageRejectedException(Reason.CORRUPT, "the " + format + " header claims an empty image of " + width + " x " + height + " px");
        }
        if (width > limits.maxSide() || height > limits.maxSide()) {
            throw new ImageRejectedException(Reason.SIDE_TOO_LONG, String.format(Locale.ROOT,
                    "the image is %,d x %,d px; the limit is %,d px per side", width, height, limits.maxSide()));
        }
        long pixels = (long) width * height;
        if (pixels > limits.maxPixels()) {
            throw new ImageRejectedException(Reason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "the image is %,d x %,d px (%,d pixels); the limit is %,d pixels", width, height, pixels, limits.maxPixels()));
        }
        return new ImageHeader(format, width, height);
    }

    private static IIOMetadata tiffMetadata(byte[] bytes, ImageReader reader) throws ImageRejectedException {
        try {
            return reader.getImageMetadata(0);
        } catch (IOException | RuntimeException e) {
            throw corruptOrTruncated(ImageFormat.TIFF, bytes, "its tags could not be read", e);
        }
    }

    private static void checkComplete(ImageFormat format, byte[] b) throws ImageRejectedException {
        switch (format) {
            case JPEG -> {
                if (!Truncation.jpegHasEoi(b)) {
                    throw truncated(format, b, "it does not end with the JPEG end-of-image marker (FF D9)");
                }
            }
            case PNG -> {
                if (!Truncation.pngHasIend(b)) {
                    throw truncated(format, b, "it does not end with the PNG IEND chunk");
                }
                Optional<String> fault = PngChunks.firstFault(b);
                if (fault.isPresent()) {
                    throw new ImageRejectedException(Reason.CORRUPT, "the PNG file is damaged: " + fault.get()
                            + "; send an undamaged copy");
                }
            }
            case TIFF -> {
                // Nothing to do here: given the stream length, the TIFF reader itself refuses tags, strips
                // or tiles that lie past the end ("Data segment out of stream"), see corruptOrTruncated.
            }
        }
    }

    private static BufferedImage readPixels(ImageFormat format, byte[] bytes, ImageReader reader) throws ImageRejectedException {
        try {
            return reader.read(0);
        } catch (IIOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.toLowerCase(Locale.ROOT).contains("unsupported")) {
                throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT,
                        "this " + format + " variant cannot be decoded (" + m + "); " + ACCEPTED + " in RGB or greyscale", e);
            }
            throw corruptOrTruncated(format, bytes, "its image data could not be decoded", e);
        } catch (IOException | RuntimeException e) {
            throw corruptOrTruncated(format, bytes, "its image data could not be decoded", e);
        }
    }

    private static ImageReader reader(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new IllegalStateException("no javax.imageio reader for " + format + " in this JDK");
        }
        return readers.next();
    }

    private static IIOReadWarningListener collectInto(List<String> warnings) {
        return (source, warning) -> warnings.add(warning);
    }

    private static ImageRejectedException truncated(ImageFormat format, byte[] b, String why) {
        return truncated(format, b, why, null);
    }

    private static ImageRejectedException truncated(ImageFormat format, byte[] b, String why, Throwable cause) {
        return new ImageRejectedException(Reason.TRUNCATED, String.format(Locale.ROOT,
                "the %s file is incomplete (%,d bytes received): %s; it was probably cut off in transfer, send the whole file",
                format, (long) b.length, why), cause);
    }

    /**
     * TRUNCATED when the reader ran off the end of the data (an EOFException, or the TIFF reader's
     * "out of stream" for a field stored past the end), CORRUPT otherwise.
     */
    private static ImageRejectedException corruptOrTruncated(ImageFormat format, byte[] b, String what, Exception cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (t instanceof EOFException || m.contains("out of stream") || m.contains("end of file") || m.contains("unexpected eof")) {
                return truncated(format, b, what + " because the data ends early (" + t.getMessage() + ")", cause);
            }
        }
        return corrupt(format, what, cause);
    }

    private static ImageRejectedException corrupt(ImageFormat format, String what, Exception cause) {
        return new ImageRejectedException(Reason.CORRUPT,
                "the file starts like a " + format + " but " + what + " (" + cause.getMessage() + "); check that it is a valid " + format + " file", cause);
    }
}
