package io.pirstream.model.pretrained;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.nn.MobileNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TFLite reader and the MobileNet blocks, checked against what the pre-trained networks are known to do: a
 * wrong layout, padding or activation cannot classify a cat. Skips, saying where it looked, when the pre-trained
 * files (never part of the repository) are absent.
 */
class PretrainedMobileNetTest {

    private static final Path FOLDER = Path.of(System.getProperty("pirstream.pretrained", "../../shared/pretrained"));
    private static final Path DATASETS = Path.of(System.getProperty("pirstream.datasets", "../../shared/datasets"));
    private static final int SIZE = 224;

    @BeforeEach
    void requireFiles() {
        assumeTrue(Files.isRegularFile(FOLDER.resolve(PretrainedMobileNet.V2_FILE)) && Files.isRegularFile(FOLDER.resolve(PretrainedMobileNet.V1_FILE)),
                "pre-trained MobileNets not found in " + FOLDER.toAbsolutePath() + " (they are never part of the repository); skipping");
    }

    @Test
    void readsTheTensorsAndOperatorsOfMobileNetV2() {
        TfLiteFile file = TfLiteFile.read(PretrainedMobileNet.file(FOLDER, MobileNet.Variant.V2));
        List<TfLiteFile.Operator> convs = file.operators().stream()
                .filter(op -> op.builtinCode() == TfLiteFile.CONV_2D || op.builtinCode() == TfLiteFile.DEPTHWISE_CONV_2D).toList();
        assertThat(convs).as("MobileNetV2 has 53 convolutions (52 + classifier)").hasSize(53);
        TfLiteFile.Operator stem = file.operators().get(0);
        assertThat(stem.builtinCode()).as("first operator is the stem convolution").isEqualTo(TfLiteFile.CONV_2D);
        assertThat(stem.strideH()).as("stem stride").isEqualTo(2);
        TfLiteFile.Tensor weight = file.tensors().get(stem.inputs()[1]);
        assertThat(weight.shape()).as("stem weight [out, kh, kw, in]").containsExactly(32, 3, 3, 3);
        assertThat(weight.type()).as("uint8 weights").isEqualTo(TfLiteFile.TensorType.UINT8);
        assertThat(weight.scale()).as("per-tensor scale").isPositive();
        TfLiteFile.Tensor bias = file.tensors().get(stem.inputs()[2]);
        assertThat(bias.type()).as("int32 bias").isEqualTo(TfLiteFile.TensorType.INT32);
    }

    @Test
    void mobileNetV2RanksTheCatAsAnEgyptianCat() throws IOException {
        List<AbstractBlock> units = MobileNet.units(MobileNet.Variant.V2, 1f);
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape in = new Shape(1, 3, SIZE, SIZE);
            initialise(units, manager, in);
            PretrainedMobileNet.Classifier classifier = PretrainedMobileNet.load(TfLiteFile.read(PretrainedMobileNet.file(FOLDER, MobileNet.Variant.V2)), units);
            assertThat(classifier).as("V2 file ends in a classifier").isNotNull();
            NDArray features = forward(units, manager, cat());
            NDArray w = manager.create(classifier.weight(), PretrainedMobileNet.classifierShape(classifier));
            NDArray logits = features.matMul(w.transpose()).add(manager.create(classifier.bias()));
            float[] p = logits.softmax(-1).toFloatArray();
            int best = argMax(p);
            List<String> labels = Files.readAllLines(FOLDER.resolve("imagenet_labels.txt"));
            assertThat(labels.get(best)).as("top-1 ImageNet label of cat.bmp (p = %.3f)", p[best]).isEqualTo("Egyptian cat");
            assertThat(p[best]).as("confidence of the top-1 label").isGreaterThan(0.5f);
        }
    }

    @Test
    void mobileNetV1FeaturesTellRemoteSensingScenesApart() {
        Path rsicd = DATASETS.resolve("rsicd/images");
        assumeTrue(Files.isDirectory(rsicd), "RSICD images not found at " + rsicd.toAbsolutePath() + "; skipping the nearest-neighbour probe");
        List<String> classes = List.of("bareland", "baseballfield", "church", "desert", "forest", "meadow", "mediumresidential", "pond", "railwaystation", "viaduct");
        int perClass = 4;
        List<AbstractBlock> units = MobileNet.units(MobileNet.Variant.V1, 1f);
        try (NDManager manager = NDManager.newBaseManager()) {
            initialise(units, manager, new Shape(1, 3, SIZE, SIZE));
            assertThat(PretrainedMobileNet.load(TfLiteFile.read(PretrainedMobileNet.file(FOLDER, MobileNet.Variant.V1)), units))
                    .as("the V1 embedding extractor has no classifier").isNull();
            float[][] features = new float[classes.size() * perClass][];
            for (int c = 0; c < classes.size(); c++) {
                for (int i = 0; i < perClass; i++) {
                    byte[] rgb = ImageCodec.toRgb(ImageCodec.read(rsicd.resolve(classes.get(c) + "_" + (i + 1) + ".jpg")), SIZE);
                    float[] f = forward(units, manager, rgb).toFloatArray();
                    features[c * perClass + i] = normalise(f);
                }
            }
            int hits = 0;
            for (int a = 0; a < features.length; a++) {
                int nearest = -1;
                double best = -2;
                for (int b = 0; b < features.length; b++) {
                    double s = b == a ? -3 : dot(features[a], features[b]);
                    if (s > best) {
                        best = s;
                        nearest = b;
                    }
                }
                hits += nearest / perClass == a / perClass ? 1 : 0;
            }
            // measured with these weights: about 0.75 on RSICD; chance is 0.08 here, random weights stay near it
            assertThat(hits / (double) features.length).as("1-NN scene accuracy of ImageNet MobileNetV1 features").isGreaterThan(0.4);
        }
    }

    @Test
    void aFileThatIsNotTfLiteOrIsTruncatedOrOfAnotherNetworkIsAClearError() throws IOException {
        assertThatThrownBy(() -> TfLiteFile.parse("GIF89a, not a model at all".getBytes(), "junk.bin")).as("not TFLite")
                .isInstanceOf(TfLiteException.class).hasMessageContaining("not a TFLite model").hasMessageContaining("TFL3");
        byte[] bytes = Files.readAllBytes(PretrainedMobileNet.file(FOLDER, MobileNet.Variant.V2));
        assertThatThrownBy(() -> TfLiteFile.parse(Arrays.copyOf(bytes, bytes.length / 3), "half.tflite")).as("truncated")
                .isInstanceOf(TfLiteException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> TfLiteFile.parse(Arrays.copyOf(bytes, 6), "six-bytes.tflite")).as("a few bytes")
                .isInstanceOf(TfLiteException.class).hasMessageContaining("not a TFLite model");
        List<AbstractBlock> v1 = MobileNet.units(MobileNet.Variant.V1, 1f);
        try (NDManager manager = NDManager.newBaseManager()) {
            initialise(v1, manager, new Shape(1, 3, SIZE, SIZE));
            TfLiteFile v2File = TfLiteFile.parse(bytes, "v2.tflite");
            assertThatThrownBy(() -> PretrainedMobileNet.load(v2File, v1)).as("V2 weights into a V1")
                    .isInstanceOf(TfLiteException.class).hasMessageContaining("not the expected network");
        }
    }

    /** The reference image ships as BMP, a format the product's decoder refuses: read it with ImageIO here. */
    private static byte[] cat() {
        try {
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(FOLDER.resolve("cat.bmp").toFile());
            assertThat(image).as("cat.bmp decodes").isNotNull();
            return ImageCodec.toRgb(image, SIZE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void initialise(List<AbstractBlock> units, NDManager manager, Shape input) {
        Shape s = input;
        for (AbstractBlock unit : units) {
            unit.initialize(manager, DataType.FLOAT32, s);
            s = unit.getOutputShapes(new Shape[] {s})[0];
        }
    }

    /** Pooled features {@code (1, C)} of one image. */
    private static NDArray forward(List<AbstractBlock> units, NDManager manager, byte[] rgb) {
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = ImageCodec.toInput(List.of(rgb), SIZE, manager);
        for (AbstractBlock unit : units) {
            x = unit.forward(ps, new NDList(x), false).head();
        }
        return x.mean(new int[] {3}).mean(new int[] {2});
    }

    private static int argMax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            best = p[i] > p[best] ? i : best;
        }
        return best;
    }

    private static float[] normalise(float[] f) {
        double n = Math.sqrt(dot(f, f));
        float[] out = new float[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = (float) (f[i] / n);
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
