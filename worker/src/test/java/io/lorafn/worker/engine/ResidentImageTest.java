package io.lorafn.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ImageTensor;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.safetensors.SafetensorsWriter;
import io.lorafn.worker.reference.ReferenceLlama;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on a resident image computes what the reference computes on the image's own weights. */
class ResidentImageTest {
    private static final int[] TOKENS = {1, 17, 250, 3, 99, 42, 7, 300};

    @TempDir
    static Path root;

    static Path image(Path model, WeightFormat format) {
        Path out = root.resolve(model.getFileName() + "-" + format + ".img");
        try (ModelDirectory dir = ModelDirectory.open(model)) {
            ResidentImageWriter.write(dir, format, out, Progress.NONE);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void losslessImageComputesBitwiseWhatTheSafetensorsDo(DType dtype) {
        Path model = TestModels.model(root, "lossless-" + dtype, TestModels.tiny(), dtype, 51);
        Path img = image(model, WeightFormat.valueOf(dtype.name()));
        try (LoadedModel direct = LoadedModel.open(model, 2); LoadedModel mapped = LoadedModel.open(model, img, 2)) {
            float[][] a = TestModels.logits(direct, null, TOKENS);
            float[][] b = TestModels.logits(mapped, null, TOKENS);
            for (int t = 0; t < a.length; t++) {
                assertArrayEquals(a[t], b[t], "position " + t);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = WeightFormat.class)
    void imageMatchesReferenceOnItsDequantizedWeightsWithAnAdapter(WeightFormat format) throws IOException {
        Path model = TestModels.model(root, "quant-" + format, TestModels.tiny(), DType.F32, 52);
        Path adapter = TestModels.adapter(root, "quant-lora-" + format, model, TestModels.allProjections(8, 3));
        Path img = image(model, format);
        Path dequantized = dequantize(img, model, root.resolve("dequant-" + format));
        double[][] expected = ReferenceLlama.load(dequantized).withAdapter(adapter).logits(TOKENS);
        try (LoadedModel m = LoadedModel.open(model, img, 2)) {
            float[][] actual = TestModels.logits(m, m.loadAdapter(adapter), TOKENS);
            double worst = 0;
            for (int t = 0; t < expected.length; t++) {
                for (int v = 0; v < expected[t].length; v++) {
                    worst = Math.max(worst, Math.abs(expected[t][v] - actual[t][v]));
                }
            }
            assertTrue(worst < 2e-4, format + ": max |engine - reference| = " + worst);
        }
    }

    @Test
    void corruptImagesAreRefusedByName() throws IOException {
        Path model = TestModels.model(root, "corrupt", TestModels.tiny(), DType.F32, 53);
        Path img = image(model, WeightFormat.Q8_0);
        Path truncated = root.resolve("truncated.img");
        byte[] bytes = Files.readAllBytes(img);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        StorageException e = assertThrows(StorageException.class, () -> ResidentImage.open(truncated));
        assertEquals("IMAGE_CORRUPT", e.code());
        assertTrue(e.getMessage().contains(truncated.toString()));
        Path notAnImage = model.resolve("model.safetensors");
        assertEquals("IMAGE_BAD_MAGIC", assertThrows(StorageException.class, () -> ResidentImage.open(notAnImage)).code());
    }

    /**
     * Version 2 changed Q4_0's layout (tiles) and version 3 Q8_0's: an older image is read where none of its tensors'
     * layouts changed since, and refused, naming the format and the fix, where one did; a version from the future is refused.
     */
    @Test
    void olderImagesAreReadUnlessALayoutTheyHoldChangedSince() throws IOException {
        Path model = TestModels.model(root, "versions", TestModels.tiny(), DType.F32, 54);
        for (WeightFormat format : new WeightFormat[] {WeightFormat.BF16, WeightFormat.Q8_0, WeightFormat.Q4_0}) {
            Path img = image(model, format);
            for (int version : new int[] {1, 2, 4}) {
                Path old = withVersion(img, version);
                boolean readable = version < 4 && (format == WeightFormat.BF16 || (format == WeightFormat.Q4_0 && version == 2));
                if (readable) {
                    try (ResidentImage image = ResidentImage.open(old)) {
                        assertEquals(format, image.weightFormat());
                    }
                } else {
                    StorageException e = assertThrows(StorageException.class, () -> ResidentImage.open(old), format + " version " + version);
                    assertEquals("IMAGE_VERSION", e.code());
                    assertTrue(e.getMessage().contains("lorafn image build") && (version == 4 || e.getMessage().contains(format.name())),
                            e.getMessage());
                }
            }
        }
    }

    /** A copy of the image whose header names another version. */
    private Path withVersion(Path img, int version) throws IOException {
        byte[] bytes = Files.readAllBytes(img);
        String head = new String(bytes, 0, 4096, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = head.indexOf("\"version\":3");
        assertTrue(at > 0, "the header names its version");
        bytes[at + "\"version\":".length()] = (byte) ('0' + version);
        Path old = root.resolve("v" + version + "-" + img.getFileName());
        Files.write(old, bytes);
        return old;
    }

    /** Writes the image's weights back as an F32 Hugging Face directory, for the reference to read. */
    static Path dequantize(Path img, Path model, Path out) throws IOException {
        Files.createDirectories(out);
        Files.copy(model.resolve("config.json"), out.resolve("config.json"));
        try (ResidentImage image = ResidentImage.open(img)) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (ImageTensor t : image.tensors().values()) {
                long[] shape = t.rows() == 1 && t.format() == WeightFormat.F32 && !t.name().endsWith("_proj.weight")
                        ? new long[] {t.cols()} : new long[] {t.rows(), t.cols()};
                entries.add(new SafetensorsWriter.Entry(t.name(), DType.F32, shape));
            }
            try (SafetensorsWriter w = new SafetensorsWriter(out.resolve("model.safetensors"), entries, Map.of())) {
                for (ImageTensor t : image.tensors().values()) {
                    WeightMatrix m = image.matrix(t.name());
                    float[] row = new float[t.cols()];
                    for (int r = 0; r < t.rows(); r++) {
                        CpuBackend.decodeRow(m, r, row);
                        w.write(row);
                    }
                }
            }
        }
        return out;
    }
}
