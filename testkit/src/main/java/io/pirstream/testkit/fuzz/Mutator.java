package io.pirstream.testkit.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded byte-level mutations of seed inputs, in the manner of coverage-less fuzzers: bit flips, interesting
 * values, 32-bit length fields set to extremes, insertions, deletions, duplicated ranges, truncation and splices of
 * two seeds. The same seed gives the same sequence of inputs on any JVM.
 */
public final class Mutator {

    /** Values that break length and offset arithmetic. */
    private static final int[] INTERESTING_INTS = {0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF,
            0x8000_0000, 0xFFFF_FFFE, 0x10000, 30_001, 65_535};
    private static final int[] INTERESTING_BYTES = {0, 1, 0x7F, 0x80, 0xFF, 0xFE};

    private final SplittableRandom random;
    private final List<byte[]> seeds;
    private final int maxLength;

    /**
     * @param seed the random seed (printed with every finding, so a run can be repeated)
     * @param seeds inputs to start from; not modified
     * @param maxLength longest input produced
     */
    public Mutator(long seed, List<byte[]> seeds, int maxLength) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("seeds must not be empty");
        }
        this.random = new SplittableRandom(seed);
        this.seeds = List.copyOf(seeds);
        this.maxLength = maxLength;
    }

    /** The next input: a seed with one to eight mutations stacked. */
    public byte[] next() {
        byte[] input = seeds.get(random.nextInt(seeds.size())).clone();
        int rounds = 1 + random.nextInt(8);
        for (int i = 0; i < rounds; i++) {
            input = mutate(input);
        }
        return input.length > maxLength ? Arrays.copyOf(input, maxLength) : input;
    }

    private byte[] mutate(byte[] in) {
        if (in.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int at = random.nextInt(in.length);
        switch (random.nextInt(9)) {
            case 0 -> in[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> in[at] = (byte) INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)];
            case 2 -> in[at] = (byte) random.nextInt(256);
            case 3 -> {
                if (in.length >= 4) {
                    int position = random.nextInt(in.length - 3);
                    int value = INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)];
                    boolean bigEndian = random.nextBoolean();
                    for (int b = 0; b < 4; b++) {
                        int shift = bigEndian ? 24 - 8 * b : 8 * b;
                        in[position + b] = (byte) (value >>> shift);
                    }
                }
            }
            case 4 -> {
                int length = 1 + random.nextInt(Math.min(16, in.length));
                byte[] out = new byte[in.length + length];
                System.arraycopy(in, 0, out, 0, at);
                for (int b = 0; b < length; b++) {
                    out[at + b] = (byte) random.nextInt(256);
                }
                System.arraycopy(in, at, out, at + length, in.length - at);
                return out;
            }
            case 5 -> {
                int length = Math.min(in.length - at, 1 + random.nextInt(64));
                byte[] out = new byte[in.length - length];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(in, at + length, out, at, in.length - at - length);
                return out;
            }
            case 6 -> {
                int length = Math.min(in.length - at, 1 + random.nextInt(256));
                byte[] out = new byte[in.length + length];
                System.arraycopy(in, 0, out, 0, at + length);
                System.arraycopy(in, at, out, at + length, in.length - at);
                return out;
            }
            case 7 -> {
                return Arrays.copyOf(in, at);
            }
            default -> {
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int from = other.length == 0 ? 0 : random.nextInt(other.length);
                byte[] out = Arrays.copyOf(in, at + other.length - from);
                System.arraycopy(other, from, out, at, other.length - from);
                return out;
            }
        }
        return in;
    }
}
