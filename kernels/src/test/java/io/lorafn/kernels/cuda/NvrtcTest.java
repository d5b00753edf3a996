package io.lorafn.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The run-time compiler fallback: the kernels' source ships with the build, and NVRTC either compiles it to
 * PTX with every kernel in it (where libnvrtc is installed: a GPU machine with the toolkit) or fails with one
 * message that says what is missing (here, where nvcc is installed but not NVRTC).
 */
class NvrtcTest {
    @Test
    void theKernelSourceShipsWithTheBuild() {
        String source = Nvrtc.source();
        assertTrue(source.contains("extern \"C\" __global__ void q8_0_matmul"), "the kernels are in it");
        assertTrue(source.contains("__CUDACC_RTC__"), "with the branch NVRTC compiles (no C headers there)");
    }

    @Test
    void compilesTheShippedSourceOrSaysPlainlyWhyNot() {
        byte[] ptx;
        try {
            ptx = Nvrtc.compile(Nvrtc.source(), 8, 0);
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().startsWith("NVRTC is not installed here (tried libnvrtc.so"), e.getMessage());
            return;
        }
        String text = new String(ptx, 0, ptx.length - 1, StandardCharsets.US_ASCII);
        assertTrue(ptx[ptx.length - 1] == 0, "NUL-terminated for cuModuleLoadData");
        for (String kernel : new String[] {"q8_0_matmul", "bf16_matmul", "sgmv_shrink", "sgmv_expand", "rmsnorm", "rope",
                "paged_attention_decode", "argmax"}) {
            assertTrue(text.contains(".entry " + kernel), kernel + " in the PTX");
        }
        assertTrue(text.contains(".target sm_80"), "for the device asked for");
        assertThrows(IllegalStateException.class, () -> Nvrtc.compile("this is not CUDA", 8, 0), "a compile error is reported");
    }
}
