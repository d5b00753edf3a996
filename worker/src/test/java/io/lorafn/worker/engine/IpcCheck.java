package io.lorafn.worker.engine;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.cuda.CudaBackend;
import io.lorafn.kernels.cuda.DeviceImage;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Backbone sharing on a GPU, checked on a lent machine (several processes, so a main, not a test):
 * {@code prepare DIR} writes a tiny model, its Q8_0 image and an adapter; {@code hold IMAGE} is the holder
 * (as 'lorafn device-holder'); {@code use DIR} is a worker that finds the handle, computes on the holder's
 * copy and compares with the CPU; {@code hold-bytes MIB FILE} and {@code open-bytes MIB FILE} measure what
 * opening a large shared buffer costs a process in device memory.
 */
public final class IpcCheck {
    private IpcCheck() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "prepare" -> {
                Path dir = Path.of(args[1]);
                Path model = TestModels.model(dir, "m", TestModels.tiny(), DType.F32, 3);
                try (ModelDirectory m = ModelDirectory.open(model)) {
                    ResidentImageWriter.write(m, WeightFormat.Q8_0, dir.resolve("m.img"), Progress.NONE);
                }
                TestModels.adapter(dir, "a", model, TestModels.allProjections(8, 5));
                System.out.println("prepared " + dir);
            }
            case "hold" -> {
                Path image = Path.of(args[1]);
                try (ResidentImage img = ResidentImage.open(image); DeviceImage held = DeviceImage.upload(img.mapping(), 0)) {
                    Files.write(DeviceImage.handleFile(image, 0), held.handle());
                    System.out.println("holding " + held.bytes() + " bytes");
                    Thread.sleep(Long.MAX_VALUE);
                }
            }
            case "use" -> {
                Path dir = Path.of(args[1]);
                Path model = dir.resolve("m"), image = dir.resolve("m.img");
                int[] tokens = {1, 17, 99, 3, 250, 42, 7, 300, 12};
                try (LoadedModel cpu = LoadedModel.open(model, image, 1, "cpu"); LoadedModel gpu = LoadedModel.open(model, image, 1, "cuda")) {
                    CudaBackend cuda = (CudaBackend) gpu.backend();
                    for (boolean withAdapter : new boolean[] {false, true}) {
                        LoraAdapter a = withAdapter ? cpu.loadAdapter(dir.resolve("a")) : null;
                        LoraAdapter b = withAdapter ? gpu.loadAdapter(dir.resolve("a")) : null;
                        float[][] expected = TestModels.logits(cpu, a, tokens), got = TestModels.logits(gpu, b, tokens);
                        double worst = 0;
                        for (int p = 0; p < expected.length; p++) {
                            for (int v = 0; v < expected[p].length; v++) {
                                worst = Math.max(worst, Math.abs(expected[p][v] - got[p][v]));
                            }
                        }
                        if (worst > 1e-4) {
                            throw new AssertionError("logits differ by " + worst);
                        }
                        System.out.printf("shared image, %s: logits within %.2g of the CPU's; bytes this worker uploaded itself: %d%n",
                                withAdapter ? "rank-8 adapter" : "no adapter", worst, cuda.uploadedBytes());
                    }
                }
            }
            case "hold-bytes" -> {
                long bytes = Long.parseLong(args[1]) << 20;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment host = arena.allocate(bytes, 4096);
                    try (DeviceImage held = DeviceImage.upload(host, 0)) {
                        Files.write(Path.of(args[2]), held.handle());
                        System.out.println("holding " + (bytes >> 20) + " MiB");
                        Thread.sleep(Long.MAX_VALUE);
                    }
                }
            }
            case "open-bytes" -> {
                long bytes = Long.parseLong(args[1]) << 20;
                try (Arena arena = Arena.ofConfined(); CudaBackend cuda = CudaBackend.open(0)) {
                    MemorySegment host = arena.allocate(bytes, 4096);
                    long[] before = free();
                    cuda.shareImage(host, Files.readAllBytes(Path.of(args[2])));
                    long[] after = free();
                    System.out.printf("pid %d opened %d MiB shared: device memory free %d -> %d MiB%n", ProcessHandle.current().pid(),
                            bytes >> 20, before[0] >> 20, after[0] >> 20);
                    Thread.sleep(Long.parseLong(args[3]));
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static long[] free() {
        long[] free = {0}, total = {0};
        jcuda.driver.JCudaDriver.cuMemGetInfo(free, total);
        return free;
    }
}
