package io.pirstream.model.synth;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Procedural aerial-looking chips with captions known by construction.
 *
 * <p>Each chip has a main scene (one of {@link #LABELS}, named like the RSSCN7 classes), optional
 * secondary features that the captions mention (a road, a river, buildings, cars) and small
 * distractor objects that they do not (semantic noise). The same seed always gives the same chip.
 *
 * <pre>{@code
 * SyntheticScenes.Scene s = SyntheticScenes.generate(42);
 * BufferedImage img = s.image(); List<String> captions = s.captions(); String label = s.label();
 * }</pre>
 */
public final class SyntheticScenes {

    /** Scene labels of generated chips. */
    public static final List<String> LABELS = List.of("field", "forest", "grass", "industry", "parking", "residential", "river_lake");
    /** Default chip side in pixels. */
    public static final int DEFAULT_SIZE = 256;

    /**
     * One generated chip.
     *
     * @param image the chip, RGB
     * @param captions five captions describing it
     * @param label its scene label, one of {@link #LABELS}
     * @param seed the seed that generated it
     */
    public record Scene(BufferedImage image, List<String> captions, String label, long seed) {
    }

    private SyntheticScenes() {
    }

    /** A chip of {@link #DEFAULT_SIZE} pixels. */
    public static Scene generate(long seed) {
        return generate(seed, DEFAULT_SIZE);
    }

    /** A chip of {@code size} pixels whose scene label is drawn from the seed. */
    public static Scene generate(long seed, int size) {
        Random random = new Random(seed);
        return generate(seed, size, LABELS.get(random.nextInt(LABELS.size())));
    }

    /** A chip of a given scene label. */
    public static Scene generate(long seed, int size, String label) {
        if (!LABELS.contains(label)) {
            throw new IllegalArgumentException("unknown synthetic scene label '" + label + "'; expected one of " + LABELS);
        }
        if (size < 32) {
            throw new IllegalArgumentException("size must be >= 32: " + size);
        }
        Random r = new Random(seed * 31 + label.hashCode());
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        Painter p = new Painter(g, r, size);
        List<String> extras = new ArrayList<>();
        String main = switch (label) {
            case "field" -> p.fields();
            case "forest" -> p.forest();
            case "grass" -> p.grass();
            case "industry" -> p.industry();
            case "parking" -> p.parking();
            case "residential" -> p.residential();
            default -> p.water();
        };
        // secondary features, mentioned in captions
        if (!"river_lake".equals(label) && r.nextFloat() < 0.3f) {
            p.river();
            extras.add("a river");
        }
        if (r.nextFloat() < 0.4f && !"parking".equals(label)) {
            p.road();
            extras.add("a road");
        }
        if (("field".equals(label) || "grass".equals(label)) && r.nextFloat() < 0.4f) {
            p.houses(2 + r.nextInt(3));
            extras.add("a few houses");
        }
        // distractors: small objects the captions do not mention
        p.distractors(3 + r.nextInt(5));
        g.dispose();
        p.noise(image);
        return new Scene(image, captions(main, extras, r), label, seed);
    }

    private static List<String> captions(String main, List<String> extras, Random r) {
        List<String> out = new ArrayList<>();
        String with = extras.isEmpty() ? "" : String.join(" and ", extras);
        String[] connectors = {" with ", " next to ", " and ", " crossed by ", " near "};
        for (int i = 0; i < 5; i++) {
            String phrase = Painter.phrase(main, r);
            if (!with.isEmpty() && i != 4) {
                phrase = phrase + connectors[i % connectors.length] + with;
            }
            out.add(phrase);
        }
        return out;
    }

    /** Draws the scene elements; returns the main scene key for captions. */
    private static final class Painter {
        private final Graphics2D g;
        private final Random r;
        private final int s;

        Painter(Graphics2D g, Random r, int size) {
            this.g = g;
            this.r = r;
            this.s = size;
        }

        static String phrase(String main, Random r) {
            String[][] options = {
                {"field", "green fields", "farmland with crop fields", "many fields in strips", "cultivated farmland", "fields of crops"},
                {"forest", "a dense forest", "many green trees", "a forest of dark trees", "woodland", "thick green forest"},
                {"grass", "a green grassland", "an open meadow", "a large lawn of grass", "grass land", "a meadow"},
                {"industry", "an industrial area with large buildings", "factories and storage tanks", "big grey factory roofs", "warehouses and white tanks", "an industrial zone"},
                {"parking", "a parking lot with many cars", "cars parked in rows", "a large parking lot", "many vehicles in a parking lot", "rows of parked cars"},
                {"residential", "a residential area with houses", "many houses along streets", "a neighbourhood of small buildings", "houses with red roofs", "dense houses and roads"},
                {"river_lake", "a blue lake", "a body of water", "a lake surrounded by green land", "blue water", "a pond of water"}};
            for (String[] o : options) {
                if (o[0].equals(main)) {
                    return o[1 + r.nextInt(o.length - 1)];
                }
            }
            throw new IllegalStateException(main);
        }

        private Color jitter(int red, int green, int blue, int amount) {
            return new Color(clamp(red + r.nextInt(2 * amount + 1) - amount), clamp(green + r.nextInt(2 * amount + 1) - amount),
                    clamp(blue + r.nextInt(2 * amount + 1) - amount));
        }

        private static int clamp(int v) {
            return Math.max(0, Math.min(255, v));
        }

        private void fill(Color c) {
            g.setColor(c);
            g.fillRect(0, 0, s, s);
        }

        String fields() {
            fill(jitter(120, 140, 70, 20));
            int strips = 3 + r.nextInt(5);
            double angle = r.nextDouble() * Math.PI;
            g.rotate(angle, s / 2.0, s / 2.0);
            int w = 2 * s / strips;
            for (int i = 0; i < strips; i++) {
                g.setColor(r.nextBoolean() ? jitter(110, 160, 60, 30) : jitter(170, 140, 90, 30));
                g.fillRect(-s / 2 + i * w, -s / 2, w - 2, 2 * s);
            }
            g.rotate(-angle, s / 2.0, s / 2.0);
            return "field";
        }

        String forest() {
            fill(jitter(40, 80, 35, 10));
            int trees = s * s / 60;
            for (int i = 0; i < trees; i++) {
                g.setColor(jitter(35, 95, 40, 20));
                int d = 5 + r.nextInt(s / 20 + 3);
                g.fill(new Ellipse2D.Double(r.nextInt(s), r.nextInt(s), d, d));
            }
            return "forest";
        }

        String grass() {
            fill(jitter(110, 165, 80, 15));
            for (int i = 0; i < 40; i++) {
                g.setColor(jitter(120, 175, 85, 20));
                int d = s / 8 + r.nextInt(s / 6);
                g.fill(new Ellipse2D.Double(r.nextInt(s), r.nextInt(s), d, d));
            }
            return "grass";
        }

        String industry() {
            fill(jitter(130, 130, 125, 15));
            int n = 2 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                g.setColor(jitter(200, 200, 205, 25));
                g.fillRect(r.nextInt(s * 3 / 4), r.nextInt(s * 3 / 4), s / 6 + r.nextInt(s / 4), s / 8 + r.nextInt(s / 5));
            }
            int tanks = 2 + r.nextInt(6);
            int x0 = r.nextInt(s / 2);
            int y0 = r.nextInt(s / 2);
            for (int i = 0; i < tanks; i++) {
                g.setColor(jitter(235, 235, 235, 10));
                int d = s / 14 + r.nextInt(s / 14);
                g.fill(new Ellipse2D.Double(x0 + (i % 3) * d * 1.3, y0 + (i / 3) * d * 1.3, d, d));
            }
            return "industry";
        }

        String parking() {
            fill(jitter(95, 95, 98, 10));
            int rows = 3 + r.nextInt(3);
            int carW = s / 28 + 2;
            int carH = s / 14 + 2;
            for (int row = 0; row < rows; row++) {
                int y = s / 12 + row * (s / rows);
                g.setColor(new Color(230, 230, 230));
                g.fillRect(0, y + carH + 2, s, 2);
                for (int x = r.nextInt(6); x < s - carW; x += carW + 3) {
                    if (r.nextFloat() < 0.75f) {
                        g.setColor(new Color(Color.HSBtoRGB(r.nextFloat(), 0.2f + 0.7f * r.nextFloat(), 0.3f + 0.7f * r.nextFloat())));
                        g.fillRect(x, y, carW, carH);
                    }
                }
            }
            if (r.nextBoolean()) {
                g.setColor(jitter(235, 235, 230, 10));
                g.fillRect(s - s / 4, 0, s / 4, s / 3);
            }
            return "parking";
        }

        String residential() {
            fill(jitter(120, 150, 100, 15));
            int block = s / (4 + r.nextInt(3));
            g.setColor(jitter(150, 150, 150, 10));
            for (int i = 0; i < s; i += block) {
                g.fillRect(i, 0, 4, s);
                g.fillRect(0, i, s, 4);
            }
            houses(s * s / (block * block) * 2);
            return "residential";
        }

        void houses(int n) {
            for (int i = 0; i < n; i++) {
                g.setColor(r.nextBoolean() ? jitter(170, 80, 60, 30) : jitter(200, 195, 190, 25));
                int w = s / 18 + r.nextInt(s / 18);
                g.fillRect(r.nextInt(s - w), r.nextInt(s - w), w, w * 3 / 4 + 2);
            }
        }

        String water() {
            fill(jitter(100, 140, 80, 20));
            g.setColor(jitter(40, 80, 140, 20));
            if (r.nextBoolean()) {
                int w = s / 2 + r.nextInt(s / 3);
                int h = s / 3 + r.nextInt(s / 3);
                g.fill(new Ellipse2D.Double(r.nextInt(s - w + 1), r.nextInt(s - h + 1), w, h));
            } else {
                river();
            }
            return "river_lake";
        }

        void river() {
            Path2D path = new Path2D.Double();
            path.moveTo(-10, r.nextInt(s));
            path.curveTo(s / 3.0, r.nextInt(s), 2 * s / 3.0, r.nextInt(s), s + 10, r.nextInt(s));
            g.setColor(jitter(45, 85, 140, 15));
            g.setStroke(new BasicStroke(s / 12f + r.nextInt(s / 16 + 1)));
            g.draw(path);
        }

        void road() {
            g.setColor(jitter(70, 70, 72, 10));
            g.setStroke(new BasicStroke(s / 28f + 2));
            if (r.nextBoolean()) {
                int x = r.nextInt(s);
                g.drawLine(x, 0, x + r.nextInt(s / 2) - s / 4, s);
            } else {
                int y = r.nextInt(s);
                g.drawLine(0, y, s, y + r.nextInt(s / 2) - s / 4);
            }
        }

        void distractors(int n) {
            for (int i = 0; i < n; i++) {
                int d = 2 + r.nextInt(s / 30 + 2);
                g.setColor(switch (r.nextInt(3)) {
                    case 0 -> jitter(30, 90, 30, 20);
                    case 1 -> jitter(220, 220, 210, 30);
                    default -> new Color(Color.HSBtoRGB(r.nextFloat(), 0.6f, 0.8f));
                });
                g.fillRect(r.nextInt(s - d), r.nextInt(s - d), d, d);
            }
        }

        void noise(BufferedImage image) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int rgb = image.getRGB(x, y);
                    int n = r.nextInt(17) - 8;
                    int red = clamp(((rgb >> 16) & 0xff) + n);
                    int green = clamp(((rgb >> 8) & 0xff) + n);
                    int blue = clamp((rgb & 0xff) + n);
                    image.setRGB(x, y, (red << 16) | (green << 8) | blue);
                }
            }
        }
    }
}
