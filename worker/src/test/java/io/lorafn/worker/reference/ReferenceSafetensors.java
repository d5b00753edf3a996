package io.lorafn.worker.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Independent, deliberately simple safetensors reader used as a test oracle.
 * Everything is decoded eagerly into double[] so the reference model never has to
 * think about storage dtypes again.
 */
public final class ReferenceSafetensors {

    /** One decoded tensor: its shape and row-major values widened to double. */
    public record Tensor(long[] shape, double[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) n *= d;
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                        + " does not match " + data.length + " values");
            }
        }

        /** Size of dimension i (convenience for 2-D weight checks). */
        public int dim(int i) {
            return Math.toIntExact(shape[i]);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReferenceSafetensors() {
    }

    /** Reads one .safetensors file completely; tensor order follows the header. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 8) throw new IOException(file + ": too short for a safetensors header");
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen < 0 || 8 + headerLen > bytes.length) {
            throw new IOException(file + ": bad header length " + headerLen);
        }
        int dataStart = 8 + (int) headerLen;
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));

        Map<String, Tensor> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue; // free-form string map, not a tensor
            JsonNode info = e.getValue();
            String dtype = info.get("dtype").asText();
            JsonNode shapeNode = info.get("shape");
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
                count *= shape[i];
            }
            long begin = info.get("data_offsets").get(0).asLong();
            long end = info.get("data_offsets").get(1).asLong();
            int elemSize = switch (dtype) {
                case "F32" -> 4;
                case "F16", "BF16" -> 2;
                default -> throw new IOException(file + ": unsupported dtype " + dtype + " for " + e.getKey());
            };
            if (end - begin != count * elemSize || dataStart + end > bytes.length || begin < 0) {
                throw new IOException(file + ": inconsistent offsets for " + e.getKey());
            }
            ByteBuffer buf = ByteBuffer.wrap(bytes, dataStart + (int) begin, (int) (end - begin))
                    .order(ByteOrder.LITTLE_ENDIAN);
            double[] data = new double[Math.toIntExact(count)];
            for (int i = 0; i < data.length; i++) {
                data[i] = switch (dtype) {
                    case "F32" -> buf.getFloat();
                    case "F16" -> Float.float16ToFloat(buf.getShort());
                    // bf16 is the top half of an f32, so widening is a shift
                    default -> Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                };
            }
            out.put(e.getKey(), new Tensor(shape, data));
        }
        return out;
    }

    /** Convenience: only the values, keyed by tensor name. */
    public static Map<String, double[]> readValues(Path file) throws IOException {
        Map<String, double[]> out = new LinkedHashMap<>();
        read(file).forEach((k, v) -> out.put(k, v.data()));
        return out;
    }

    /**
     * Loads every tensor of a model directory: a single model.safetensors, or the shards
     * named in model.safetensors.index.json (each shard read once).
     */
    public static Map<String, Tensor> readModelDir(Path dir) throws IOException {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            JsonNode weightMap = JSON.readTree(index.toFile()).get("weight_map");
            if (weightMap == null) throw new IOException(index + ": missing weight_map");
            Set<String> shards = new LinkedHashSet<>();
            weightMap.properties().forEach(e -> shards.add(e.getValue().asText()));
            Map<String, Tensor> all = new LinkedHashMap<>();
            for (String shard : shards) all.putAll(read(dir.resolve(shard)));
            // Every name in the index must be present in the shard it points to.
            for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
                if (!all.containsKey(e.getKey())) {
                    throw new IOException("tensor " + e.getKey() + " missing from " + e.getValue().asText());
                }
            }
            return all;
        }
        if (Files.exists(single)) return read(single);
        throw new IOException(dir + ": neither model.safetensors nor model.safetensors.index.json");
    }
}
