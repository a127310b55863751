package io.pirstream.ingest.imagery;

/** How chip pixels are encoded on the chip topic. */
public enum ChipFormat {
    /** Lossless: the chip's pixels are exactly the source's. The default. */
    PNG("png", "image/png"),
    /** Lossy and smaller; alpha is dropped. For drone frames that arrived as JPEG anyway. */
    JPEG("jpeg", "image/jpeg");

    private final String imageIoName;
    private final String mediaType;

    ChipFormat(String imageIoName, String mediaType) {
        this.imageIoName = imageIoName;
        this.mediaType = mediaType;
    }

    public String imageIoName() {
        return imageIoName;
    }

    public String mediaType() {
        return mediaType;
    }
}
