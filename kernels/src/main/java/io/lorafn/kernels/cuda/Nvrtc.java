package io.lorafn.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * NVRTC, CUDA's run-time compiler, through the FFM API: the kernels' source (shipped as the resource
 * {@code cuda/lorafn_kernels.cu}) to PTX for the device at hand, where none of the build's PTX fits it (an
 * older GPU than sm_80, a driver older than the build's PTX, or a build made without nvcc). Bound through
 * FFM rather than JCuda's jnvrtc so that whichever libnvrtc the machine has (CUDA 12 or 13) will do.
 */
final class Nvrtc {
    private static final String SOURCE = "/cuda/lorafn_kernels.cu";
    private static final List<String> LIBRARIES = List.of("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
            "/usr/local/cuda/lib64/libnvrtc.so", "/usr/local/cuda/targets/x86_64-linux/lib/libnvrtc.so");

    private Nvrtc() {
    }

    /** The shipped kernel source. */
    static String source() {
        try (InputStream in = Nvrtc.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IllegalStateException("this build does not carry the CUDA kernels' source (" + SOURCE + ")");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * PTX for compute capability {@code major.minor}, NUL-terminated as {@code cuModuleLoadData} wants it.
     * Throws with the reason: no libnvrtc on this machine, or the compiler's own log.
     */
    static byte[] compile(String source, int major, int minor) {
        try (Arena arena = Arena.ofConfined()) {
            Bound nvrtc = bind(arena);
            MemorySegment programOut = arena.allocate(ValueLayout.ADDRESS);
            nvrtc.check("nvrtcCreateProgram", (int) nvrtc.create.invokeExact(programOut, arena.allocateFrom(source),
                    arena.allocateFrom("lorafn_kernels.cu"), 0, MemorySegment.NULL, MemorySegment.NULL));
            MemorySegment program = programOut.get(ValueLayout.ADDRESS, 0);
            try {
                String[] options = {"--gpu-architecture=compute_" + major + minor, "-std=c++17"};
                MemorySegment optionArray = arena.allocate(ValueLayout.ADDRESS, options.length);
                for (int i = 0; i < options.length; i++) {
                    optionArray.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(options[i]));
                }
                int result = (int) nvrtc.compileProgram.invokeExact(program, options.length, optionArray);
                if (result != 0) {
                    throw new IllegalStateException("NVRTC could not compile the kernels for compute_" + major + minor + ": "
                            + nvrtc.error(result) + "\n" + nvrtc.log(arena, program));
                }
                MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
                nvrtc.check("nvrtcGetPTXSize", (int) nvrtc.ptxSize.invokeExact(program, size));
                MemorySegment ptx = arena.allocate(size.get(ValueLayout.JAVA_LONG, 0) + 1); // zeroed: the NUL is there
                nvrtc.check("nvrtcGetPTX", (int) nvrtc.ptx.invokeExact(program, ptx));
                return ptx.toArray(ValueLayout.JAVA_BYTE);
            } finally {
                MemorySegment holder = arena.allocate(ValueLayout.ADDRESS);
                holder.set(ValueLayout.ADDRESS, 0, program);
                int ignored = (int) nvrtc.destroy.invokeExact(holder);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("NVRTC failed: " + t, t);
        }
    }

    /** The handles, bound to whichever libnvrtc loads first; throws naming every library tried. */
    private static Bound bind(Arena arena) {
        List<String> tried = new ArrayList<>();
        for (String name : LIBRARIES) {
            try {
                SymbolLookup lib = name.startsWith("/") ? SymbolLookup.libraryLookup(java.nio.file.Path.of(name), arena)
                        : SymbolLookup.libraryLookup(name, arena);
                return new Bound(lib);
            } catch (IllegalArgumentException e) { // not found or not loadable
                tried.add(name);
            }
        }
        throw new IllegalStateException("NVRTC is not installed here (tried " + String.join(", ", tried)
                + "); install the CUDA toolkit's libnvrtc, or build with nvcc so the PTX ships with lorafn");
    }

    private static final class Bound {
        final MethodHandle create, compileProgram, ptxSize, ptx, logSize, log, destroy, errorString;

        Bound(SymbolLookup lib) {
            Linker linker = Linker.nativeLinker();
            ValueLayout a = ValueLayout.ADDRESS;
            ValueLayout.OfInt i = ValueLayout.JAVA_INT;
            create = linker.downcallHandle(lib.findOrThrow("nvrtcCreateProgram"), FunctionDescriptor.of(i, a, a, a, i, a, a));
            compileProgram = linker.downcallHandle(lib.findOrThrow("nvrtcCompileProgram"), FunctionDescriptor.of(i, a, i, a));
            ptxSize = linker.downcallHandle(lib.findOrThrow("nvrtcGetPTXSize"), FunctionDescriptor.of(i, a, a));
            ptx = linker.downcallHandle(lib.findOrThrow("nvrtcGetPTX"), FunctionDescriptor.of(i, a, a));
            logSize = linker.downcallHandle(lib.findOrThrow("nvrtcGetProgramLogSize"), FunctionDescriptor.of(i, a, a));
            log = linker.downcallHandle(lib.findOrThrow("nvrtcGetProgramLog"), FunctionDescriptor.of(i, a, a));
            destroy = linker.downcallHandle(lib.findOrThrow("nvrtcDestroyProgram"), FunctionDescriptor.of(i, a));
            errorString = linker.downcallHandle(lib.findOrThrow("nvrtcGetErrorString"), FunctionDescriptor.of(a, i));
        }

        void check(String call, int result) throws Throwable {
            if (result != 0) {
                throw new IllegalStateException(call + " failed: " + error(result));
            }
        }

        String error(int result) throws Throwable {
            MemorySegment text = (MemorySegment) errorString.invokeExact(result);
            return text.equals(MemorySegment.NULL) ? "NVRTC error " + result : text.reinterpret(Long.MAX_VALUE).getString(0) + " (" + result + ")";
        }

        String log(Arena arena, MemorySegment program) throws Throwable {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            if ((int) logSize.invokeExact(program, size) != 0) {
                return "(no log)";
            }
            MemorySegment text = arena.allocate(size.get(ValueLayout.JAVA_LONG, 0) + 1);
            int ignored = (int) log.invokeExact(program, text);
            return text.getString(0);
        }
    }
}
