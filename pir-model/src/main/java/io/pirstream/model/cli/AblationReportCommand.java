package io.pirstream.model.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ablation-report}: mean +- standard deviation over seeds of each ablation row's best checkpoint, as a Markdown
 * table. Runs are folders {@code <root>/<row>/seed-<n>/best}.
 */
@Command(name = "ablation-report", mixinStandardHelpOptions = true,
        description = "Summarise ablation runs (<root>/<row>/seed-<n>/best) as mean +- std over seeds.")
final class AblationReportCommand implements Callable<Integer> {

    /** Columns: set, metric key, heading. */
    private static final String[][] COLUMNS = {
        {"rsicd_val", "mR", "RSICD mR"}, {"rsicd_val", "mR_tiesInFavour", "mR (ties in favour)"}, {"rsicd_val", "t2i_R@10", "t2i R@10"},
        {"rsicd_val", "i2t_R@10", "i2t R@10"}, {"rsscn7_val", "evalPrompts_mAP", "RSSCN7 mAP (eval prompts)"},
        {"rsscn7_val", "evalPrompts_zeroShotAccuracy", "RSSCN7 zero-shot (eval prompts)"}, {"synthetic_val", "mR", "generated mR"}};

    @Option(names = "--root", required = true, description = "Folder with one sub-folder per row")
    Path root;

    @Override
    public Integer call() throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder out = new StringBuilder("| row | seeds |");
        for (String[] c : COLUMNS) {
            out.append(' ').append(c[2]).append(" |");
        }
        out.append("\n| --- | --- |").append(" --- |".repeat(COLUMNS.length)).append('\n');
        TreeMap<String, List<JsonNode>> rows = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path row : dirs.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> seeds = Files.list(row)) {
                    for (Path seed : seeds.filter(p -> Files.isRegularFile(p.resolve("best/checkpoint.json"))).sorted().toList()) {
                        rows.computeIfAbsent(row.getFileName().toString(), k -> new ArrayList<>())
                                .add(json.readTree(seed.resolve("best/checkpoint.json").toFile()).path("metrics"));
                    }
                }
            }
        }
        rows.forEach((name, runs) -> {
            out.append("| ").append(name).append(" | ").append(runs.size()).append(" |");
            for (String[] c : COLUMNS) {
                double[] v = runs.stream().map(m -> m.path(c[0]).path(c[1])).filter(JsonNode::isNumber).mapToDouble(JsonNode::asDouble).toArray();
                out.append(' ').append(v.length == 0 ? "-" : format(v)).append(" |");
            }
            out.append('\n');
        });
        System.out.print(out);
        return 0;
    }

    private static String format(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean) / Math.max(1, v.length - 1);
        }
        return v.length == 1 ? String.format(Locale.ROOT, "%.2f", mean) : String.format(Locale.ROOT, "%.2f ± %.2f", mean, Math.sqrt(var));
    }
}
