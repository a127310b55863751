package io.pirstream.model.pretrained;

/** A TFLite file that cannot be read, or that is not the network it is read as; the message says which and why. */
public final class TfLiteException extends RuntimeException {

    public TfLiteException(String message) {
        super(message);
    }

    public TfLiteException(String message, Throwable cause) {
        super(message, cause);
    }
}
