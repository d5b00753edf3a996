package io.lorafn.storage.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file mapped read-only. The header is checked in full before any tensor is handed out:
 * a file that passes cannot make a later read go out of bounds.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** safetensors' own limit: headers above 100 MB are refused as malicious or corrupt. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment file = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            SafetensorsFile parsed = parse(path, file, size, arena);
            return parsed;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new StorageException("FILE_NOT_FOUND", path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new StorageException("FILE_UNREADABLE", path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The same checks over bytes already in memory (an adapter fetched from the object store). {@code label}
     * names the source in error messages; the tensors are views over {@code bytes}.
     */
    public static SafetensorsFile fromMemory(Path label, MemorySegment bytes) {
        Arena arena = Arena.ofShared();
        try {
            return parse(label, bytes, bytes.byteSize(), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, MemorySegment file, long size, Arena arena) {
        if (size < 8) {
            throw error("SAFETENSORS_TRUNCATED", path, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
            throw error("SAFETENSORS_BAD_HEADER_LENGTH", path, "header length " + Long.toUnsignedString(headerLen)
                    + " does not fit in a file of " + size + " bytes");
        }
        byte[] headerBytes = file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8).stripTrailing());
        } catch (JsonProcessingException e) {
            throw error("SAFETENSORS_BAD_HEADER", path, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw error("SAFETENSORS_BAD_HEADER", path, "header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode spec = e.getValue();
            if (name.equals("__metadata__")) {
                spec.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dtypeName = spec.path("dtype").asText("");
            DType dtype = DType.parse(dtypeName).orElseThrow(() -> error("SAFETENSORS_UNSUPPORTED_DTYPE", path,
                    "tensor '" + name + "' has unknown dtype '" + dtypeName + "'"));
            long[] shape = readShape(path, name, spec.path("shape"));
            JsonNode offsets = spec.path("data_offsets");
            if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
                throw error("SAFETENSORS_BAD_HEADER", path, "tensor '" + name + "' has no valid data_offsets");
            }
            long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
            if (begin < 0 || end < begin || end > dataSize) {
                throw error("SAFETENSORS_OFFSET_OUT_OF_RANGE", path, "tensor '" + name + "' spans bytes [" + begin + ", "
                        + end + ") but the data section has " + dataSize + " bytes");
            }
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            if (Math.multiplyExact(elements, dtype.bytes()) != end - begin) {
                throw error("SAFETENSORS_SIZE_MISMATCH", path, "tensor '" + name + "' is " + dtype + " " + java.util.Arrays.toString(shape)
                        + " = " + elements * dtype.bytes() + " bytes, but its offsets span " + (end - begin));
            }
            ranges.add(new long[] {begin, end});
            rangeNames.add(name);
            tensors.put(name, new Tensor(name, dtype, shape, file.asSlice(dataStart + begin, end - begin)));
        }
        checkNoOverlap(path, ranges, rangeNames);
        return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static long[] readShape(Path path, String name, JsonNode shapeNode) {
        if (!shapeNode.isArray()) {
            throw error("SAFETENSORS_BAD_HEADER", path, "tensor '" + name + "' has no shape");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw error("SAFETENSORS_BAD_HEADER", path, "tensor '" + name + "' has a bad dimension " + d);
            }
            shape[i] = d.asLong();
        }
        return shape;
    }

    private static void checkNoOverlap(Path path, List<long[]> ranges, List<String> names) {
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingLong(i -> ranges.get(i)[0]));
        for (int k = 1; k < order.length; k++) {
            long[] prev = ranges.get(order[k - 1]), cur = ranges.get(order[k]);
            if (cur[0] < prev[1] && cur[1] > cur[0]) {
                throw error("SAFETENSORS_OVERLAP", path, "tensors '" + names.get(order[k - 1]) + "' and '"
                        + names.get(order[k]) + "' overlap at bytes [" + cur[0] + ", " + Math.min(prev[1], cur[1]) + ")");
            }
        }
    }

    private static StorageException error(String code, Path path, String what) {
        return new StorageException(code, path + ": " + what);
    }

    public Path path() {
        return path;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw error("TENSOR_MISSING", path, "has no tensor '" + name + "'");
        }
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }
}
