package io.pirstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.nn.ImageTower;
import io.pirstream.model.nn.MobileNet;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The frozen shared trunk's output for every training image and each of its dihedral variants, computed once and kept
 * on disk (memory-mapped), so that training runs only the layers that learn. The trunk is by far the most expensive
 * part of the image side, and it does not change while the rest trains.
 *
 * <p>Maps that end in ReLU6 (MobileNetV1's units) are stored as uint8 ({@code round(x * 255 / 6)}; the pre-trained
 * networks were trained for 8-bit activations), others as float16. The file name is a hash of the trunk's weights,
 * the items, the input size and the variants, so a changed trunk never reads a stale cache.
 */
final class TrunkCache implements AutoCloseable {

    private static final float RELU6_STEP = 6f / 255f;

    private final Shape mapShape;
    private final int variants;
    private final int items;
    private final boolean uint8;
    private final long recordBytes;
    private final List<MappedByteBuffer> segments = new ArrayList<>();
    private final int recordsPerSegment;
    private final FileChannel channel;

    private TrunkCache(Path file, Shape mapShape, int items, int variants, boolean uint8) throws IOException {
        this.mapShape = mapShape;
        this.items = items;
        this.variants = variants;
        this.uint8 = uint8;
        this.recordBytes = mapShape.size() * (uint8 ? 1 : 2);
        this.recordsPerSegment = (int) (Integer.MAX_VALUE / recordBytes);
        channel = FileChannel.open(file, StandardOpenOption.READ);
        long records = (long) items * variants;
        for (long first = 0; first < records; first += recordsPerSegment) {
            long count = Math.min(recordsPerSegment, records - first);
            segments.add(channel.map(FileChannel.MapMode.READ_ONLY, first * recordBytes, count * recordBytes));
        }
    }

    /**
     * Opens the cache for these items, computing it first when it does not exist yet.
     *
     * @param tower network whose shared trunk (frozen) produces the maps
     * @param variants dihedral variants per item (1 = the image as it is)
     */
    static TrunkCache open(ImageTower tower, NDManager manager, List<Item> list, int size, int variants, Path cacheDir, PrintStream log) {
        Shape map = tower.sharedShape(new Shape(1, 3, size, size));
        Shape mapShape = new Shape(map.get(1), map.get(2), map.get(3));
        boolean uint8 = endsInRelu6(tower);
        String key = key(tower, list, size, variants, uint8);
        Path file = cacheDir.resolve("trunk-" + key + ".bin");
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != (long) list.size() * variants * mapShape.size() * (uint8 ? 1 : 2)) {
                write(tower, manager, list, size, variants, uint8, file, log);
            } else {
                log.printf("trunk cache %s (%d images x %d variants)%n", file, list.size(), variants);
            }
            return new TrunkCache(file, mapShape, list.size(), variants, uint8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the trunk cache " + file, e);
        }
    }

    private static boolean endsInRelu6(ImageTower tower) {
        var blocks = tower.instructionEncoder().shared().getChildren().values();
        MobileNet.Unit last = (MobileNet.Unit) blocks.get(blocks.size() - 1);
        return !last.residual() && last.convs().get(last.convs().size() - 1).hasRelu6();
    }

    private static String key(ImageTower tower, List<Item> list, int size, int variants, boolean uint8) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            tower.instructionEncoder().shared().saveParameters(out);
            out.writeUTF("size=" + size + " variants=" + variants + " uint8=" + uint8);
            for (Item item : list) {
                out.write(item.id().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Checkpoint.sha256(bytes.toByteArray()).substring(0, 24);
    }

    private static void write(ImageTower tower, NDManager manager, List<Item> list, int size, int variants, boolean uint8, Path file,
            PrintStream log) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ParameterStore ps = new ParameterStore(manager, false);
        int batch = 32;
        int steps = (list.size() + batch - 1) / batch * variants;
        Progress progress = new Progress(log, "trunk cache " + list.size() + " x " + variants, steps);
        int step = 0;
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            // record order: item-major, so that one item's variants are adjacent
            for (int first = 0; first < list.size(); first += batch) {
                List<Item> chunk = list.subList(first, Math.min(list.size(), first + batch));
                byte[][][] records = new byte[chunk.size()][variants][];
                for (int v = 0; v < variants; v++) {
                    try (NDManager scope = manager.newSubManager()) {
                        int variant = v;
                        List<byte[]> pixels = chunk.stream().map(i -> ImageCodec.dihedral(i.rgb(), size, variant)).toList();
                        NDArray x = tower.instructionEncoder().shared().forward(ps, new NDList(ImageCodec.toInput(pixels, size, scope)), false)
                                .head();
                        NDArray stored = uint8 ? x.div(RELU6_STEP).round().clip(0, 255).toType(DataType.UINT8, false)
                                : x.toType(DataType.FLOAT16, false);
                        byte[] all = stored.toByteArray();
                        int per = all.length / chunk.size();
                        for (int i = 0; i < chunk.size(); i++) {
                            records[i][v] = java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per);
                        }
                    }
                    progress.step(++step, Float.NaN, chunk.size());
                }
                for (byte[][] item : records) {
                    for (byte[] record : item) {
                        out.write(record);
                    }
                }
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.printf("trunk cache written: %s (%.1f GB)%n", file, Files.size(file) / 1e9);
    }

    /** Maps of the given items and variants, as float32 {@code (B, C, h, w)}. */
    NDArray batch(int[] itemIndices, int[] variantIndices, NDManager manager) {
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) (recordBytes * itemIndices.length));
        for (int i = 0; i < itemIndices.length; i++) {
            long record = (long) itemIndices[i] * variants + variantIndices[i];
            MappedByteBuffer segment = segments.get((int) (record / recordsPerSegment));
            int offset = (int) ((record % recordsPerSegment) * recordBytes);
            buffer.put(segment.slice(offset, (int) recordBytes));
        }
        buffer.flip();
        Shape shape = new Shape(itemIndices.length, mapShape.get(0), mapShape.get(1), mapShape.get(2));
        NDArray raw = manager.create(buffer, shape, uint8 ? DataType.UINT8 : DataType.FLOAT16);
        return uint8 ? raw.toType(DataType.FLOAT32, false).mul(RELU6_STEP) : raw.toType(DataType.FLOAT32, false);
    }

    /** Items in the cache. */
    int items() {
        return items;
    }

    /** Variants per item. */
    int variants() {
        return variants;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
