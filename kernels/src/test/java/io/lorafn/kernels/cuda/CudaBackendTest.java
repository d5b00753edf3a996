package io.lorafn.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.Backends;
import org.junit.jupiter.api.Test;

/** Backend selection everywhere; the CUDA backend against the CPU where a device is (skipped elsewhere, and says so). */
class CudaBackendTest {
    static boolean deviceHere() {
        try (CudaBackend ignored = CudaBackend.open(0)) {
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    @Test
    void autoTakesCudaWhenThereIsADeviceAndFallsBackToTheCpuOtherwiseWhileCudaAloneIsAClearError() {
        try (Backend auto = Backends.select("auto", 1)) {
            assertTrue(auto.name().startsWith(deviceHere() ? "cuda" : "cpu"), auto.name());
        }
        if (!deviceHere()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda", 1));
            assertTrue(e.getMessage().contains("no usable CUDA device"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Backends.select("tpu", 1));
    }

    @Test
    void aDriverNodeWithoutLoadableNativesStillFallsBackToTheCpu() throws Exception {
        assumeTrue(!deviceHere(), "a device is here: this checks the fallback where JCuda's natives cannot load");
        // a forked JVM, since the device node is read once per JVM: it exists, so auto tries JCuda, whose natives fail to load
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dlorafn.cuda.device-node=/dev/null", "-cp", System.getProperty("java.class.path"), SelectAuto.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor() == 0, out);
        assertTrue(out.contains("selected cpu"), out);
        assertTrue(out.contains("backend: cpu (no CUDA: the CUDA driver or JCuda's natives cannot be loaded"), "one clear line: " + out);
    }

    /** Selects under auto and says what it got. */
    public static final class SelectAuto {
        public static void main(String[] args) {
            try (Backend b = Backends.select("auto", 1)) {
                System.out.println("selected " + b.name());
            }
        }
    }

    @Test
    void theDeviceAgreesWithTheCpuBackend() {
        assumeTrue(deviceHere(), "no CUDA device here: skipped (run it on a machine with one; see README, CUDA)");
        try (CudaBackend cuda = CudaBackend.open(0)) {
            CudaAgreement.check(cuda).forEach(System.out::println);
            cuda.suspend();
            cuda.resume();
            CudaAgreement.check(cuda).forEach(System.out::println);
        }
        assertThrows(IllegalStateException.class, () -> CudaBackend.open(0, Long.MAX_VALUE), "more memory needed than the device has");
    }

    @Test
    void kernelsCompiledByNvrtcAgreeToo() {
        assumeTrue(deviceHere(), "no CUDA device here: skipped (run it on a machine with one; see README, CUDA)");
        System.setProperty("lorafn.cuda.nvrtc", "always"); // as on a device none of the built PTX fits
        try (CudaBackend cuda = CudaBackend.open(0)) {
            CudaAgreement.check(cuda).forEach(System.out::println);
        } finally {
            System.clearProperty("lorafn.cuda.nvrtc");
        }
    }
}
