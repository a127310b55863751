package io.pirstream.model.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.KarpathyCaptions;
import io.pirstream.model.data.LabelledFolders;
import io.pirstream.model.data.Split;
import io.pirstream.model.eval.ClassMetrics;
import io.pirstream.model.eval.Evaluator;
import io.pirstream.model.eval.ReportPlot;
import io.pirstream.model.train.Item;
import io.pirstream.model.train.TrainingData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code eval}: retrieval and class-level metrics of a checkpoint, as JSON and PNG. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint on Karpathy-style caption sets and labelled-folder sets.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", description = "Checkpoint folder (default: the shipped checkpoint)")
    Path checkpoint;

    @Option(names = "--captions", description = "Karpathy-style set folder (dataset.json + images/); repeatable")
    List<Path> captionSets = new ArrayList<>();

    @Option(names = "--labelled", description = "Labelled-folder set (labels.csv + images/); repeatable")
    List<Path> labelledSets = new ArrayList<>();

    @Option(names = "--split", defaultValue = "val", description = "Split to evaluate (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--synthetic", defaultValue = "0", description = "Also evaluate N generated chips (validation seeds)")
    int synthetic;

    @Option(names = "--out", defaultValue = "eval-report", description = "Output folder for report.json and report.png")
    Path out;

    @Override
    public Integer call() throws Exception {
        Split s = Split.parse(split);
        Map<String, Object> report = new LinkedHashMap<>();
        Map<String, double[]> curves = ReportPlot.curves();
        ClassMetrics.ClassLevel confusion = null;
        try (PirModel model = checkpoint == null ? PirModel.loadDefault() : PirModel.load(checkpoint)) {
            report.put("model", model.version());
            Evaluator.Embedder embedder = Evaluator.of(model);
            List<String> classes = model.sceneClasses();
            int size = model.config().imageSize();
            for (Path set : captionSets) {
                String name = set.getFileName() + "_" + s.key();
                List<Item> items = TrainingData.items(KarpathyCaptions.read(set, s), size, classes);
                Evaluator.CaptionReport r = Evaluator.captions(embedder, items);
                Map<String, Object> m = r.toMap();
                Evaluator.instructionAccuracy(embedder, items).ifPresent(a -> m.put("instructionAccuracy", a));
                report.put(name, m);
                curves.put(name + " image->text", r.tiesAgainst().imageToTextCurve());
                curves.put(name + " text->image", r.tiesAgainst().textToImageCurve());
                System.out.println(name + ": " + m);
            }
            for (Path set : labelledSets) {
                String name = set.getFileName() + "_" + s.key();
                List<Item> items = TrainingData.items(LabelledFolders.read(set, s), size, classes);
                Evaluator.ClassReport c = Evaluator.classes(embedder, items);
                Map<String, Object> m = c.toMap();
                Evaluator.instructionAccuracy(embedder, items).ifPresent(a -> m.put("instructionAccuracy", a));
                report.put(name, m);
                confusion = confusion == null ? (c.evaluationPrompts() != null ? c.evaluationPrompts() : c.descriptions()) : confusion;
                System.out.println(name + ": " + m);
            }
            if (synthetic > 0) {
                List<Item> items = TrainingData.synthetic(TrainingData.DATA_SEED + TrainingData.SYNTHETIC_VAL_SEED, synthetic, size, classes);
                Evaluator.CaptionReport r = Evaluator.captions(embedder, items);
                Map<String, Object> m = r.toMap();
                ClassMetrics.ClassLevel c = Evaluator.classes(embedder, items).descriptions();
                m.put("class_mAP", Math.round(c.meanAveragePrecision() * 100) / 100.0);
                m.put("class_zeroShotAccuracy", Math.round(c.zeroShotAccuracy() * 100) / 100.0);
                report.put("synthetic", m);
                curves.put("synthetic text->image", r.tiesAgainst().textToImageCurve());
                confusion = confusion == null ? c : confusion;
                System.out.println("synthetic: " + m);
            }
            Files.createDirectories(out);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("report.json").toFile(), report);
            ReportPlot.write(out.resolve("report.png"), curves, confusion, "PIR " + model.version());
            System.out.println("wrote " + out.resolve("report.json") + " and " + out.resolve("report.png"));
        }
        return 0;
    }
}
