package io.lorafn.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA kernels' source, run on the CPU by {@code src/test/cuda/host_shim.h} (a thread per CUDA thread,
 * warp shuffles and __syncthreads as barriers), against the Java CPU backend's outputs on awkward shapes:
 * heterogeneous LoRA ranks and formats, rows without an adapter, a tie for argmax. Runs wherever g++ is.
 */
class HostShimTest {
    @TempDir
    Path dir;

    @Test
    void theKernelsSourceRunOnTheCpuAgreesWithTheJavaBackend() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")), "no g++ here: skipped");
        GoldenData.main(new String[] {dir.resolve("golden").toString()});
        Path binary = dir.resolve("shim_check");
        String compile = run(List.of("/usr/bin/g++", "-std=c++20", "-O1", "-pthread", "-DLORAFN_HOST_SHIM", "-Wall", "-Werror",
                "-Wno-unknown-pragmas" /* #pragma unroll is nvcc's */, "-o", binary.toString(), Path.of("src/test/cuda/shim_check.cpp").toAbsolutePath().toString()), 0);
        String out = run(List.of(binary.toString(), dir.resolve("golden").toString()), 0);
        assertTrue(out.contains("all kernels agree with the CPU backend"), compile + out);
        assertEquals(7, out.lines().filter(l -> l.contains(" OK ")).count(), out);
    }

    private static String run(List<String> command, int expectedExit) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(expectedExit, p.exitValue(), String.join(" ", command) + "\n" + out);
        return out;
    }
}
