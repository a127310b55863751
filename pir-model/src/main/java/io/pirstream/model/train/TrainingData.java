package io.pirstream.model.train;

import io.pirstream.model.data.ClassDescriptions;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.data.KarpathyCaptions;
import io.pirstream.model.data.LabelledFolders;
import io.pirstream.model.data.Sample;
import io.pirstream.model.data.Split;
import io.pirstream.model.synth.SyntheticScenes;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Decoded training and validation data: real sets read from disk (pixels cached under
 * {@code ~/.pirstream/cache}), generated chips made on the fly.
 */
public final class TrainingData {

    /**
     * Seed of the data itself (which images are generated or sampled): fixed, so runs that differ in their training
     * seed (initialisation, order, augmentation) see the same data, and share one trunk cache.
     */
    public static final long DATA_SEED = 17;
    /** Seed offset separating generated validation chips from training chips. */
    public static final long SYNTHETIC_VAL_SEED = 1_000_000_007L;

    /** Scene classes (sorted union of all training labels). */
    public final List<String> classes;
    /** Training items. */
    public final List<Item> train;
    /** rsicd val (captioned), empty if absent. */
    public final List<Item> rsicdVal;
    /** rsscn7 val (label-only), empty if absent. */
    public final List<Item> rsscn7Val;
    /** Generated validation chips. */
    public final List<Item> syntheticVal;

    private TrainingData(List<String> classes, List<Item> train, List<Item> rsicdVal, List<Item> rsscn7Val, List<Item> syntheticVal) {
        this.classes = classes;
        this.train = train;
        this.rsicdVal = rsicdVal;
        this.rsscn7Val = rsscn7Val;
        this.syntheticVal = syntheticVal;
    }

    /** Loads everything the config names. */
    public static TrainingData load(TrainConfig config, List<String> fixedClasses) {
        int size = config.model().imageSize();
        List<Sample> rsicdTrain = config.rsicd() == null ? List.of() : KarpathyCaptions.read(Path.of(config.rsicd()), Split.TRAIN);
        List<Sample> rsicdVal = config.rsicd() == null ? List.of() : KarpathyCaptions.read(Path.of(config.rsicd()), Split.VAL);
        List<Sample> rsscnTrain = config.rsscn7() == null ? List.of() : LabelledFolders.read(Path.of(config.rsscn7()), Split.TRAIN);
        List<Sample> rsscnVal = config.rsscn7() == null ? List.of() : LabelledFolders.read(Path.of(config.rsscn7()), Split.VAL);
        if (config.maxTrainImages() > 0) {
            rsicdTrain = subsample(rsicdTrain, config.maxTrainImages(), DATA_SEED);
            rsscnTrain = subsample(rsscnTrain, config.maxTrainImages(), DATA_SEED);
        }
        List<String> classes = fixedClasses;
        if (classes == null) {
            TreeSet<String> labels = new TreeSet<>();
            rsicdTrain.forEach(s -> addLabel(labels, s.label()));
            rsscnTrain.forEach(s -> addLabel(labels, s.label()));
            if (config.synthetic() > 0 || config.syntheticVal() > 0) {
                labels.addAll(SyntheticScenes.LABELS);
            }
            classes = List.copyOf(labels);
        }
        List<Item> train = new ArrayList<>();
        train.addAll(items(rsicdTrain, size, classes));
        train.addAll(items(rsscnTrain, size, classes));
        train.addAll(synthetic(DATA_SEED, config.synthetic(), size, classes));
        if (train.isEmpty()) {
            throw new IllegalArgumentException("the configured data sets have no training images (rsicd " + config.rsicd() + ", rsscn7 "
                    + config.rsscn7() + ", synthetic " + config.synthetic() + ")");
        }
        return new TrainingData(classes, train, items(rsicdVal, size, classes), items(rsscnVal, size, classes),
                synthetic(DATA_SEED + SYNTHETIC_VAL_SEED, config.syntheticVal(), size, classes));
    }

    private static void addLabel(TreeSet<String> labels, String label) {
        if (label != null) {
            labels.add(label);
        }
    }

    private static List<Sample> subsample(List<Sample> samples, int max, long seed) {
        if (samples.size() <= max) {
            return samples;
        }
        List<Sample> copy = new ArrayList<>(samples);
        Collections.shuffle(copy, new Random(seed));
        return copy.subList(0, max);
    }

    /** Generated chips with seeds {@code seed..seed+count-1}. */
    public static List<Item> synthetic(long seed, int count, int size, List<String> classes) {
        return IntStream.range(0, count).parallel().mapToObj(i -> {
            SyntheticScenes.Scene s = SyntheticScenes.generate(seed + i, Math.max(64, size * 2));
            return new Item("synthetic/" + (seed + i), ImageCodec.toRgb(s.image(), size), s.captions(), true,
                    classes.indexOf(s.label()), s.label(), "synthetic");
        }).toList();
    }

    /** Decodes samples (through the pixel cache). */
    public static List<Item> items(List<Sample> samples, int size, List<String> classes) {
        List<byte[]> pixels = pixels(samples, size);
        List<Item> out = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            int classId = s.label() == null ? -1 : classes.indexOf(s.label());
            List<String> texts = s.captioned() ? s.captions() : s.label() == null ? List.of() : ClassDescriptions.orGeneric(s.label());
            out.add(new Item(s.id(), pixels.get(i), texts, s.captioned(), classId, s.label(), s.source()));
        }
        return out;
    }

    private static List<byte[]> pixels(List<Sample> samples, int size) {
        if (samples.isEmpty()) {
            return List.of();
        }
        int bytes = size * size * 3;
        String key = Integer.toHexString(samples.stream().map(Sample::id).toList().hashCode()) + "-" + samples.size() + "-" + size;
        Path cache = Path.of(System.getProperty("user.home"), ".pirstream", "cache", "pixels-" + key + ".bin");
        if (Files.isRegularFile(cache)) {
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
                List<byte[]> out = new ArrayList<>(samples.size());
                for (int i = 0; i < samples.size(); i++) {
                    byte[] b = new byte[bytes];
                    in.readFully(b);
                    out.add(b);
                }
                return out;
            } catch (IOException e) {
                // fall through and rebuild a damaged cache
            }
        }
        List<byte[]> out = samples.parallelStream().map(s -> ImageCodec.toRgb(ImageCodec.read(s.image()), size)).toList();
        try {
            Files.createDirectories(cache.getParent());
            try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(cache)))) {
                for (byte[] b : out) {
                    o.write(b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write pixel cache " + cache, e);
        }
        return out;
    }
}
