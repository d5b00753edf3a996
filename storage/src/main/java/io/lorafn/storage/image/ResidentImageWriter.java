package io.lorafn.storage.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.safetensors.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import io.lorafn.storage.hf.tokenizer.CompiledTokenizer;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Converts a Hugging Face model into a resident image: every matrix in the kernels' format, vectors
 * (norm gains) in F32, all 64-byte aligned. Written to a temporary file and renamed, so a reader never
 * maps a half-written image. The model's tokenizer is compiled beside it ({@link CompiledTokenizer}), so
 * a worker that maps the image does not parse the JSON either.
 */
public final class ResidentImageWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResidentImageWriter() {
    }

    public static void write(ModelDirectory model, WeightFormat format, Path out, Progress progress) {
        List<ImageTensor> table = new ArrayList<>();
        long totalElements = 0;
        for (Tensor t : model.tensors().values()) {
            boolean matrix = t.shape().length == 2;
            WeightFormat f = matrix ? format : WeightFormat.F32;
            int rows = matrix ? t.dim(0) : 1;
            int cols = matrix ? t.dim(1) : Math.toIntExact(t.elementCount());
            if (cols % f.blockSize() != 0) {
                throw new StorageException("IMAGE_UNSUPPORTED_SHAPE", model.dir() + ": tensor '" + t.name() + "' has " + cols
                        + " columns; " + f + " needs a multiple of " + f.blockSize());
            }
            table.add(new ImageTensor(t.name(), f, rows, cols, 0, f.matrixBytes(rows, cols)));
            totalElements += t.elementCount();
        }
        progress.start("hash source", 1);
        ObjectNode header = header(model, format, sourceHash(model));
        progress.done();
        byte[] headerBytes = placeTensors(header, table);
        long dataStart = ResidentImageFormat.align(ResidentImageFormat.PREAMBLE + headerBytes.length);
        ImageTensor last = table.get(table.size() - 1);
        long size = last.offset() + last.bytes();
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            Files.createDirectories(out.toAbsolutePath().getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE); Arena arena = Arena.ofConfined()) {
                MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                ByteBuffer pre = ByteBuffer.allocate(ResidentImageFormat.PREAMBLE).order(ByteOrder.LITTLE_ENDIAN);
                pre.put(ResidentImageFormat.MAGIC).putLong(headerBytes.length);
                MemorySegment.copy(pre.array(), 0, file, ValueLayout.JAVA_BYTE, 0, ResidentImageFormat.PREAMBLE);
                MemorySegment.copy(headerBytes, 0, file, ValueLayout.JAVA_BYTE, ResidentImageFormat.PREAMBLE, headerBytes.length);
                if (table.get(0).offset() < dataStart) {
                    throw new IllegalStateException("tensor table overlaps the header");
                }
                progress.start("image " + format.name().toLowerCase(java.util.Locale.ROOT), totalElements);
                for (ImageTensor it : table) {
                    convert(model.tensor(it.name()), it, file);
                    progress.advance((long) it.rows() * it.cols());
                }
                file.force();
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            // written pages stay cached in 4 KiB pages; dropped, the first mapping reads them back in 2 MiB folios
            io.lorafn.kernels.MemoryAdvice.dropCachedPages(out);
            progress.done();
            Optional<Path> tokenizer = model.tokenizerJson();
            if (tokenizer.isPresent()) {
                try {
                    CompiledTokenizer.write(tokenizer.get(), CompiledTokenizer.besideImage(out));
                } catch (StorageException e) { // the image is still good; whoever loads the tokenizer gets this error then
                    System.getLogger(ResidentImageWriter.class.getName()).log(System.Logger.Level.WARNING,
                            "the tokenizer was not compiled beside " + out + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", out + ": " + e.getMessage(), e);
        }
    }

    private static void convert(Tensor src, ImageTensor dst, MemorySegment file) {
        float[] row = new float[dst.cols()];
        for (int r = 0; r < dst.rows(); r++) { // a last tile's padding rows stay as the new file's zeros
            src.toFloats((long) r * dst.cols(), row);
            CpuBackend.encodeRow(dst.format(), row, file, dst.offset() + dst.format().rowOffset(r, dst.cols()));
        }
    }

    /** Lays tensors out after the header; the header's size depends on the offsets, so iterate to a fixpoint. */
    private static byte[] placeTensors(ObjectNode header, List<ImageTensor> table) {
        long dataStart = 0;
        while (true) {
            long offset = dataStart;
            ArrayNode tensors = header.putArray("tensors");
            for (int i = 0; i < table.size(); i++) {
                ImageTensor t = table.get(i);
                offset = ResidentImageFormat.align(offset);
                table.set(i, new ImageTensor(t.name(), t.format(), t.rows(), t.cols(), offset, t.bytes()));
                tensors.addObject().put("name", t.name()).put("format", t.format().name()).put("rows", t.rows())
                        .put("cols", t.cols()).put("offset", offset).put("bytes", t.bytes());
                offset += t.bytes();
            }
            byte[] bytes = header.toString().getBytes(StandardCharsets.UTF_8);
            long needed = ResidentImageFormat.align(ResidentImageFormat.PREAMBLE + bytes.length + 64L);
            if (needed <= dataStart) {
                return bytes;
            }
            dataStart = needed + 4096; // room for the offsets' digits to grow
        }
    }

    private static ObjectNode header(ModelDirectory model, WeightFormat format, String sourceSha) {
        try {
            ObjectNode h = JSON.createObjectNode();
            h.put("version", ResidentImageFormat.VERSION);
            h.put("weight_format", format.name());
            h.set("config", JSON.readTree(model.dir().resolve("config.json").toFile()));
            h.put("source_sha256", sourceSha);
            h.put("source", model.dir().toAbsolutePath().toString());
            return h;
        } catch (IOException e) {
            throw new StorageException("MODEL_CONFIG_INVALID", model.dir() + "/config.json: " + e.getMessage(), e);
        }
    }

    /** sha256 over config.json and every safetensors file, in name order: identifies the source weights. */
    public static String sourceHash(ModelDirectory model) {
        try (Stream<Path> files = Files.list(model.dir())) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<Path> inputs = files.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                    || p.getFileName().toString().equals("config.json")).sorted().toList();
            ByteBuffer buf = ByteBuffer.allocate(1 << 20); // a heap buffer: digesting a direct one copies it first
            for (Path p : inputs) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    while (ch.read(buf.clear()) > 0) {
                        sha.update(buf.flip());
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new StorageException("FILE_UNREADABLE", model.dir() + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
