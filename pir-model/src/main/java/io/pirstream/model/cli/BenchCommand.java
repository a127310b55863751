package io.pirstream.model.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pirstream.model.DeviceChoice;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.eval.FlopCount;
import io.pirstream.model.synth.SyntheticScenes;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: image-embedding throughput at several batch sizes, the model's FLOPs per chip,
 * the same process's measured GEMM rate and the resulting utilisation, text latency, peak memory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Embedding throughput, FLOPs, GEMM rate, latency, memory.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", description = "Checkpoint folder (default: the shipped checkpoint)")
    Path checkpoint;

    @Option(names = "--device", defaultValue = "AUTO", description = "AUTO, CPU or GPU")
    DeviceChoice device;

    @Option(names = "--batches", split = ",", defaultValue = "1,8,32", description = "Batch sizes")
    int[] batches;

    @Option(names = "--seconds", defaultValue = "10", description = "Measuring time per batch size")
    double seconds;

    @Option(names = "--out", description = "Optional JSON output file")
    Path out;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        try (PirModel model = checkpoint == null ? PirModel.loadDefault(device) : PirModel.load(checkpoint, device)) {
            r.put("model", model.version());
            r.put("device", model.device().toString());
            r.put("threads", Runtime.getRuntime().availableProcessors());
            int size = model.config().imageSize();
            double flops = FlopCount.imageTower(model.config(), model.sceneClasses().size());
            r.put("imageSize", size);
            r.put("gflopsPerChip", round(flops / 1e9, 4));
            double gemm = gemmGflops(model, 1024, seconds / 2);
            r.put("gemmGflops", round(gemm, 1));
            List<byte[]> pool = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                pool.add(ImageCodec.toRgb(SyntheticScenes.generate(i, 256).image(), size));
            }
            Map<String, Object> throughput = new LinkedHashMap<>();
            for (int b : batches) {
                List<byte[]> batch = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    batch.add(pool.get(i % pool.size()));
                }
                for (int w = 0; w < 3; w++) {
                    model.embedPixels(batch);
                }
                long start = System.nanoTime();
                int images = 0;
                while (System.nanoTime() - start < seconds * 1e9) {
                    model.embedPixels(batch);
                    images += b;
                }
                double s = (System.nanoTime() - start) / 1e9;
                double ips = images / s;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("imagesPerSecond", round(ips, 1));
                m.put("msPerBatch", round(1000 * s * b / images, 2));
                m.put("achievedGflops", round(ips * flops / 1e9, 1));
                m.put("utilisationOfGemm", round(ips * flops / 1e9 / gemm, 3));
                throughput.put("batch" + b, m);
                System.out.println("batch " + b + ": " + m);
            }
            r.put("imageEmbedding", throughput);
            // decode + resize cost of a 256 px JPEG, separately
            r.put("textLatencyMs", textLatency(model, seconds / 2));
            r.put("peakHeapMiB", peakHeapMiB());
            r.put("peakRssMiB", peakRssMiB());
        }
        String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r);
        System.out.println(json);
        if (out != null) {
            Files.writeString(out, json);
        }
        return 0;
    }

    private static double gemmGflops(PirModel model, int n, double seconds) {
        try (NDManager m = NDManager.newBaseManager(model.device())) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            for (int i = 0; i < 3; i++) {
                a.matMul(b).close();
            }
            long start = System.nanoTime();
            int runs = 0;
            while (System.nanoTime() - start < seconds * 1e9) {
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                c.close();
                runs++;
            }
            double s = (System.nanoTime() - start) / 1e9;
            return 2.0 * n * n * n * runs / s / 1e9;
        }
    }

    private static Map<String, Object> textLatency(PirModel model, double seconds) {
        String[] queries = {"a parking lot full of cars next to a large white building", "a small lake surrounded by forest",
            "green fields crossed by a road", "storage tanks in an industrial area"};
        for (int i = 0; i < 5; i++) {
            model.embedTexts(List.of(queries[i % queries.length]));
        }
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        int i = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
            long t = System.nanoTime();
            model.embedTexts(List.of(queries[i++ % queries.length] + " " + i));
            times.add((System.nanoTime() - t) / 1e6);
        }
        times.sort(Double::compare);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queries", times.size());
        m.put("p50", round(times.get(times.size() / 2), 2));
        m.put("p95", round(times.get((int) (times.size() * 0.95)), 2));
        m.put("p99", round(times.get((int) (times.size() * 0.99)), 2));
        return m;
    }

    private static double peakHeapMiB() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return round(peak / 1048576.0, 1);
    }

    private static double peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0, 1);
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
