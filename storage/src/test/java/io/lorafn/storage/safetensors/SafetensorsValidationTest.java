package io.lorafn.storage.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed file gets a StorageException that names the file and the tensor, never a crash. */
class SafetensorsValidationTest {
    @TempDir
    Path dir;

    static byte[] file(String headerJson, int dataBytes) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    private StorageException failure(byte[] bytes) throws IOException {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, bytes);
        StorageException e = assertThrows(StorageException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    @Test
    void writtenFileReadsBackExactlyForEveryFloatType() {
        Path p = dir.resolve("ok.safetensors");
        float[] values = {1.5f, -2.25f, 0f, 0.375f, 384f, -0.5f};
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("a", DType.F32, new long[] {2, 3}),
                new SafetensorsWriter.Entry("b", DType.BF16, new long[] {6}), new SafetensorsWriter.Entry("c", DType.F16, new long[] {3, 2}));
        try (SafetensorsWriter w = new SafetensorsWriter(p, entries, Map.of("format", "pt"))) {
            w.write(values);
            w.write(values);
            w.write(values);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertArrayEquals(values, f.tensor("a").toFloats());
            assertArrayEquals(values, f.tensor("b").toFloats()); // all six are exact in bf16
            assertArrayEquals(values, f.tensor("c").toFloats());
            assertArrayEquals(new long[] {3, 2}, f.tensor("c").shape());
        }
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        assertEquals("SAFETENSORS_TRUNCATED", failure(new byte[] {1, 2, 3}).code());
    }

    @Test
    void headerLengthPastTheEndIsRefused() throws IOException {
        byte[] bytes = file("{}", 0);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000);
        StorageException e = failure(bytes);
        assertEquals("SAFETENSORS_BAD_HEADER_LENGTH", e.code());
        assertTrue(e.getMessage().contains("1000000"));
    }

    @Test
    void tensorCutOffByTruncationIsRefused() throws IOException {
        StorageException e = failure(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertEquals("SAFETENSORS_OFFSET_OUT_OF_RANGE", e.code());
        assertTrue(e.getMessage().contains("'w'"));
    }

    @Test
    void offsetsOutOfRangeAreRefused() throws IOException {
        StorageException e = failure(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,8]}}", 16));
        assertEquals("SAFETENSORS_OFFSET_OUT_OF_RANGE", e.code());
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        StorageException e = failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16));
        assertEquals("SAFETENSORS_OVERLAP", e.code());
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("'b'"));
    }

    @Test
    void shapeThatDisagreesWithOffsetsIsRefused() throws IOException {
        StorageException e = failure(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16));
        assertEquals("SAFETENSORS_SIZE_MISMATCH", e.code());
    }

    @Test
    void unknownDtypeIsRefused() throws IOException {
        StorageException e = failure(file("{\"w\":{\"dtype\":\"Q9\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4));
        assertEquals("SAFETENSORS_UNSUPPORTED_DTYPE", e.code());
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("Q9"));
    }

    @Test
    void headerThatIsNotJsonIsRefused() throws IOException {
        assertEquals("SAFETENSORS_BAD_HEADER", failure(file("{not json", 0)).code());
    }

    @Test
    void missingFileIsReportedByName() {
        StorageException e = assertThrows(StorageException.class, () -> SafetensorsFile.open(dir.resolve("none.safetensors")));
        assertEquals("FILE_NOT_FOUND", e.code());
    }
}
