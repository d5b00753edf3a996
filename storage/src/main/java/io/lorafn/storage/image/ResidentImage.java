package io.lorafn.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.kernels.MemoryAdvice;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resident image mapped read-only. Opening it reads the header and checks the table; it touches no
 * weight, so every worker on a node maps the same page-cache copy and starts without converting.
 */
public final class ResidentImage implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final WeightFormat weightFormat;
    private final ModelConfig config;
    private final String sourceSha256;
    private final Map<String, ImageTensor> tensors;

    private ResidentImage(Path path, Arena arena, MemorySegment file, WeightFormat weightFormat, ModelConfig config,
                          String sourceSha256, Map<String, ImageTensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.weightFormat = weightFormat;
        this.config = config;
        this.sourceSha256 = sourceSha256;
        this.tensors = tensors;
    }

    public static ResidentImage open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < ResidentImageFormat.PREAMBLE) {
                throw error("IMAGE_TRUNCATED", path, "file is " + size + " bytes");
            }
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            MemoryAdvice.hugePages(file); // decode streams the whole image per token: 2 MiB pages read it faster
            byte[] magic = file.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE);
            if (!Arrays.equals(magic, ResidentImageFormat.MAGIC)) {
                throw error("IMAGE_BAD_MAGIC", path, "is not a lorafn resident image");
            }
            long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8);
            if (headerLen <= 0 || headerLen > size - ResidentImageFormat.PREAMBLE) {
                throw error("IMAGE_TRUNCATED", path, "header length " + headerLen + " does not fit in " + size + " bytes");
            }
            JsonNode h = JSON.readTree(new String(file.asSlice(ResidentImageFormat.PREAMBLE, headerLen)
                    .toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
            int version = h.path("version").asInt();
            if (version < 1 || version > ResidentImageFormat.VERSION) {
                throw error("IMAGE_VERSION", path, "has version " + h.path("version") + "; this build reads 1 to "
                        + ResidentImageFormat.VERSION + ": rebuild it with 'lorafn image build'");
            }
            Map<String, ImageTensor> tensors = new LinkedHashMap<>();
            for (JsonNode t : h.path("tensors")) {
                ImageTensor it = new ImageTensor(t.path("name").asText(), WeightFormat.valueOf(t.path("format").asText()),
                        t.path("rows").asInt(), t.path("cols").asInt(), t.path("offset").asLong(), t.path("bytes").asLong());
                if (it.offset() % ResidentImageFormat.ALIGN != 0 || it.offset() < ResidentImageFormat.PREAMBLE + headerLen
                        || it.offset() + it.bytes() > size || it.bytes() != it.format().matrixBytes(it.rows(), it.cols())) {
                    throw error("IMAGE_CORRUPT", path, "tensor '" + it.name() + "' has a bad table entry (offset " + it.offset()
                            + ", " + it.bytes() + " bytes, file " + size + " bytes)");
                }
                if (ResidentImageFormat.layoutSince(it.format()) > version) {
                    throw error("IMAGE_VERSION", path, "has version " + version + ", whose " + it.format() + " tensors are laid out row by row; "
                            + "this build stores them in tiles (version " + ResidentImageFormat.layoutSince(it.format())
                            + "): rebuild it with 'lorafn image build'");
                }
                tensors.put(it.name(), it);
            }
            ModelConfig config = ModelConfig.fromJson(path, h.path("config"));
            return new ResidentImage(path, arena, file, WeightFormat.valueOf(h.path("weight_format").asText()), config,
                    h.path("source_sha256").asText(), tensors);
        } catch (NoSuchFileException e) {
            arena.close();
            throw error("FILE_NOT_FOUND", path, "no such file");
        } catch (IOException | IllegalArgumentException e) {
            arena.close();
            throw error("IMAGE_CORRUPT", path, e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static StorageException error(String code, Path path, String what) {
        return new StorageException(code, path + ": " + what);
    }

    /** The whole mapped file: every tensor's data is a slice of it (a GPU backend shares the image by offsets into it). */
    public MemorySegment mapping() {
        return file;
    }

    public Path path() {
        return path;
    }

    public WeightFormat weightFormat() {
        return weightFormat;
    }

    public ModelConfig config() {
        return config;
    }

    public String sourceSha256() {
        return sourceSha256;
    }

    public Map<String, ImageTensor> tensors() {
        return tensors;
    }

    public WeightMatrix matrix(String name) {
        ImageTensor t = entry(name);
        return new WeightMatrix(name, t.format(), file.asSlice(t.offset(), t.bytes()), t.rows(), t.cols());
    }

    /** A small F32 vector (a norm's gains), copied to the heap. */
    public float[] vector(String name) {
        ImageTensor t = entry(name);
        if (t.format() != WeightFormat.F32 || t.rows() != 1) {
            throw error("IMAGE_CORRUPT", path, "tensor '" + name + "' is not an F32 vector");
        }
        return file.asSlice(t.offset(), t.bytes()).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    private ImageTensor entry(String name) {
        ImageTensor t = tensors.get(name);
        if (t == null) {
            throw error("IMAGE_TENSOR_MISSING", path, "has no tensor '" + name + "'");
        }
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }
}
