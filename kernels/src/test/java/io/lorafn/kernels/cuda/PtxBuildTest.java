package io.lorafn.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where the build has nvcc, every CUDA kernel is in the PTX it ships, for both architectures. */
class PtxBuildTest {
    static final List<String> KERNELS = List.of("q8_0_matmul", "bf16_matmul", "sgmv_shrink", "sgmv_expand", "rmsnorm", "rope", "paged_attention_decode", "argmax");

    @Test
    void everyKernelIsCompiledToPtxForSm80AndSm90() throws IOException {
        assumeTrue(Files.exists(Path.of("/usr/local/cuda/bin/nvcc")), "no nvcc on this machine: the build ships no PTX");
        for (String arch : List.of("sm_80", "sm_90")) {
            try (InputStream in = PtxBuildTest.class.getResourceAsStream("/cuda/lorafn_kernels." + arch + ".ptx")) {
                assertTrue(in != null, "the build compiled cuda/lorafn_kernels." + arch + ".ptx");
                String ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(ptx.contains(".target " + arch), arch);
                for (String kernel : KERNELS) {
                    assertTrue(ptx.contains(".entry " + kernel + "("), kernel + " in " + arch);
                }
            }
        }
    }
}
