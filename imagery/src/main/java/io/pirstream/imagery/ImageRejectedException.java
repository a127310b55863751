package io.pirstream.imagery;

import java.util.Objects;

/**
 * An image the decoder will not accept. {@link #reason()} is for machines (metrics, problem
 * types, dead letters); the message is for the person who sent the file and says what was found and what is
 * allowed.
 */
public final class ImageRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an image was rejected. */
    public enum Reason {
        /** No bytes at all. */
        EMPTY,
        /** The encoded file is larger than {@link ImageLimits#maxBytes()}. */
        TOO_LARGE_BYTES,
        /** The header claims more than {@link ImageLimits#maxPixels()} pixels. */
        TOO_MANY_PIXELS,
        /** The header claims a width or height over {@link ImageLimits#maxSide()}. */
        SIDE_TOO_LONG,
        /** Not JPEG, PNG or TIFF, or a variant of them the decoder cannot read. */
        UNSUPPORTED_FORMAT,
        /** The file ends before the image does (cut off in transfer). */
        TRUNCATED,
        /** The file is damaged or not a valid image of its format. */
        CORRUPT
    }

    private final Reason reason;

    public ImageRejectedException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ImageRejectedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason must not be null");
    }

    public Reason reason() {
        return reason;
    }
}
