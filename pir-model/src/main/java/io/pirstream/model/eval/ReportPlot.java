package io.pirstream.model.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;

/** Draws the evaluation figure: recall@K curves (left) and a zero-shot confusion matrix (right). */
public final class ReportPlot {

    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};

    private ReportPlot() {
    }

    /**
     * Writes a PNG.
     *
     * @param curves recall curves by name (K = 1..n, percent)
     * @param confusion zero-shot confusion matrix (rows: truth), or null
     * @param title figure title
     */
    public static void write(Path png, Map<String, double[]> curves, ClassMetrics.ClassLevel confusion, String title) throws IOException {
        int w = 1200;
        int h = 560;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 20, 28);
        drawCurves(g, curves, 60, 60, 520, 440);
        if (confusion != null) {
            drawConfusion(g, confusion, 700, 60, 440);
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static void drawCurves(Graphics2D g, Map<String, double[]> curves, int x0, int y0, int w, int h) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.LIGHT_GRAY);
        for (int p = 0; p <= 100; p += 20) {
            int y = y0 + h - p * h / 100;
            g.drawLine(x0, y, x0 + w, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(p + "%", x0 - 40, y + 4);
            g.setColor(Color.LIGHT_GRAY);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, y0, w, h);
        int n = curves.values().stream().mapToInt(c -> c.length).max().orElse(1);
        for (int k = 1; k <= n; k += Math.max(1, n / 10)) {
            g.drawString("" + k, x0 + (k - 1) * w / Math.max(1, n - 1) - 4, y0 + h + 16);
        }
        g.drawString("K", x0 + w / 2, y0 + h + 34);
        g.drawString("Recall@K", x0, y0 - 8);
        int i = 0;
        for (Map.Entry<String, double[]> e : curves.entrySet()) {
            Color c = PALETTE[i % PALETTE.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            double[] v = e.getValue();
            for (int k = 1; k < v.length; k++) {
                g.drawLine(x0 + (k - 1) * w / (n - 1), y0 + h - (int) (v[k - 1] * h / 100), x0 + k * w / (n - 1), y0 + h - (int) (v[k] * h / 100));
            }
            g.fillRect(x0 + w - 210, y0 + h - 20 - 18 * i - 8, 12, 8);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), x0 + w - 192, y0 + h - 20 - 18 * i);
            i++;
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void drawConfusion(Graphics2D g, ClassMetrics.ClassLevel c, int x0, int y0, int size) {
        int n = c.classes().size();
        int cell = size / n;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.BLACK);
        g.drawString(String.format("zero-shot confusion (acc %.1f%%), rows = truth", c.zeroShotAccuracy()), x0, y0 - 8);
        for (int r = 0; r < n; r++) {
            int total = 0;
            for (int v : c.confusion()[r]) {
                total += v;
            }
            for (int col = 0; col < n; col++) {
                double f = total == 0 ? 0 : c.confusion()[r][col] / (double) total;
                int shade = (int) (255 - 200 * f);
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(x0 + col * cell, y0 + r * cell, cell, cell);
                g.setColor(Color.BLACK);
                if (cell >= 24) {
                    g.drawString(Integer.toString(c.confusion()[r][col]), x0 + col * cell + 4, y0 + r * cell + cell / 2 + 4);
                }
            }
            g.drawString(c.classes().get(r), x0 + n * cell + 6, y0 + r * cell + cell / 2 + 4);
        }
        g.drawRect(x0, y0, n * cell, n * cell);
    }

    /** Curves map helper. */
    public static Map<String, double[]> curves() {
        return new LinkedHashMap<>();
    }
}
