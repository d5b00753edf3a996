package io.lorafn.kernels;

import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.kernels.cuda.CudaBackend;
import java.util.Locale;

/**
 * Which backend computes: {@code cpu}, {@code cuda}, or {@code auto}, which takes a CUDA device when one is
 * there and otherwise falls back to the CPU with one log line saying why. A missing driver (JCuda's natives
 * need libcuda.so.1), no device, too little free device memory for the weights, or a build without PTX is
 * never a crash under {@code auto}; under
 * {@code cuda} it is a clear error.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    /** The NVIDIA driver's control node, present wherever a CUDA device can be used (a property so tests can point elsewhere). */
    static final String DEVICE_NODE = System.getProperty("lorafn.cuda.device-node", "/dev/nvidiactl");

    private Backends() {
    }

    /** @param threads CPU threads; 0 for one per core */
    public static Backend select(String mode, int threads) {
        return select(mode, threads, 0);
    }

    /**
     * @param threads     CPU threads; 0 for one per core
     * @param neededBytes device memory the weights need: a device with less free falls back (auto) or is refused (cuda)
     */
    public static Backend select(String mode, int threads, long neededBytes) {
        String m = mode == null ? "auto" : mode.toLowerCase(Locale.ROOT);
        return switch (m) {
            case "cpu" -> cpu(threads);
            case "cuda" -> {
                try {
                    yield CudaBackend.open(0, neededBytes, threads);
                } catch (Throwable t) { // UnsatisfiedLinkError included: no driver here
                    throw new IllegalArgumentException("--backend cuda: no usable CUDA device (" + reason(t) + ")", t);
                }
            }
            case "auto" -> {
                if (!java.nio.file.Files.exists(java.nio.file.Path.of(DEVICE_NODE)) && !System.getProperty("os.name", "").startsWith("Windows")) {
                    // no NVIDIA driver on this machine: not worth loading JCuda's natives to find out (a restore counts every ms)
                    LOG.log(System.Logger.Level.INFO, "backend: cpu (no NVIDIA driver: " + DEVICE_NODE + " is absent)");
                    yield cpu(threads);
                }
                try {
                    Backend cuda = CudaBackend.open(0, neededBytes, threads);
                    LOG.log(System.Logger.Level.INFO, "backend: " + cuda.name());
                    yield cuda;
                } catch (Throwable t) {
                    LOG.log(System.Logger.Level.INFO, "backend: cpu (no CUDA: " + reason(t) + ")");
                    yield cpu(threads);
                }
            }
            default -> throw new IllegalArgumentException("--backend must be auto, cpu or cuda, not '" + mode + "'");
        };
    }

    /** CUDA devices on this machine: 0 without an NVIDIA driver, without JCuda's natives, or without a device. */
    public static int cudaDeviceCount() {
        if (!java.nio.file.Files.exists(java.nio.file.Path.of(DEVICE_NODE))) {
            return 0;
        }
        try {
            return CudaBackend.deviceCount();
        } catch (Throwable t) { // UnsatisfiedLinkError included
            return 0;
        }
    }

    private static Backend cpu(int threads) {
        return threads > 0 ? new CpuBackend(threads) : CpuBackend.withDefaultThreads();
    }

    static String reason(Throwable t) {
        String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        return t instanceof UnsatisfiedLinkError ? "the CUDA driver or JCuda's natives cannot be loaded: " + message : message;
    }
}
