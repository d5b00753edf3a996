package io.lorafn.storage.synth;

import io.lorafn.storage.safetensors.SafetensorsWriter;
import java.util.SplittableRandom;

/**
 * Deterministic random values for synthetic tensors. Each tensor's stream is seeded from the run's
 * seed and the tensor's name, so a tensor's values do not depend on the order tensors are written.
 */
final class GaussianFill {
    private static final int CHUNK = 1 << 16;

    private GaussianFill() {
    }

    static SplittableRandom randomFor(long seed, String tensorName) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < tensorName.length(); i++) {
            h = (h ^ tensorName.charAt(i)) * 0x100000001B3L;
        }
        return new SplittableRandom(h);
    }

    /** Writes {@code count} values of mean {@code mean} and standard deviation {@code std}. */
    static void gaussian(SafetensorsWriter out, SplittableRandom random, long count, double mean, double std,
                         io.lorafn.storage.Progress progress) {
        float[] chunk = new float[CHUNK];
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(CHUNK, count - done);
            for (int i = 0; i < n; i++) {
                chunk[i] = (float) (mean + std * random.nextGaussian());
            }
            out.write(chunk, 0, n);
            done += n;
            progress.advance(n);
        }
    }

    /** Uniform in [-bound, bound): PEFT's Kaiming-uniform init of lora_A. */
    static void uniform(SafetensorsWriter out, SplittableRandom random, long count, double bound) {
        float[] chunk = new float[CHUNK];
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(CHUNK, count - done);
            for (int i = 0; i < n; i++) {
                chunk[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
            out.write(chunk, 0, n);
            done += n;
        }
    }
}
