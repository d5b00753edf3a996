package io.lorafn.worker.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.Backends;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on CUDA against the CPU, where a device is; skipped elsewhere, and says so. */
class CudaEngineTest {
    @TempDir
    Path root;

    @Test
    void theEngineOnCudaAgreesWithTheEngineOnTheCpu() throws Exception {
        boolean device;
        try (Backend b = Backends.select("auto", 1)) {
            device = b.name().startsWith("cuda");
        }
        assumeTrue(device, "no CUDA device here: skipped (run it on a machine with one; see README, CUDA)");
        CudaEngineCheck.check(root).forEach(System.out::println);
    }
}
