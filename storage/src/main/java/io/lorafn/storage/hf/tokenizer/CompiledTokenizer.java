package io.lorafn.storage.hf.tokenizer;

import io.lorafn.storage.StorageException;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * A tokenizer.json compiled for loading at restore time, written beside a resident image. Reading the JSON
 * costs a restoring worker a third of a second on the 1b preset (6.7 MB of JSON parsed as a tree, on a cold
 * JIT), and a Llama 3 file is larger still. The compiled form keeps the file's bulk, the vocabulary, the
 * merges as ids and the added tokens, in a flat binary layout, and the rest (normalizer, pre-tokenizer,
 * decoder, post-processor) as the small JSON it was: the same reader builds the same {@link Tokenizer} from it. It is
 * written only from a file that loads, and used only while {@code tokenizer.json} has the size and
 * modification time it was compiled from; otherwise the JSON is read, as without it.
 */
public final class CompiledTokenizer {
    private static final System.Logger LOG = System.getLogger(CompiledTokenizer.class.getName());
    private static final int MAGIC = 0x4C46544B; // "LFTK"
    private static final int VERSION = 1;

    /**
     * What the file holds: the pipeline JSON, the vocabulary, the merges as {left, right, merged} id triples in
     * rank order, and the added tokens.
     */
    record Parts(String pipelineJson, Map<String, Integer> vocab, int[] merges, List<AddedToken> added) {
    }

    private CompiledTokenizer() {
    }

    /** Where the compiled tokenizer of {@code image} lives: beside it, named after it. */
    public static Path besideImage(Path image) {
        return image.resolveSibling(image.getFileName() + ".tokenizer");
    }

    /**
     * Compiles {@code tokenizerJson} into {@code out} (replaced atomically).
     *
     * @throws StorageException as {@link Tokenizer#load} for a file that does not load, FILE_UNWRITABLE when out cannot be written
     */
    public static void write(Path tokenizerJson, Path out) {
        Parts parts = TokenizerJsonReader.compile(tokenizerJson);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        CRC32 crc = new CRC32();
        try (OutputStream file = Files.newOutputStream(tmp);
             DataOutputStream data = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(file, 1 << 16), crc))) {
            data.writeInt(MAGIC);
            data.writeInt(VERSION);
            data.writeLong(Files.size(tokenizerJson));
            data.writeLong(Files.getLastModifiedTime(tokenizerJson).toMillis());
            writeBytes(data, parts.pipelineJson().getBytes(StandardCharsets.UTF_8));
            data.writeInt(parts.vocab().size());
            for (Map.Entry<String, Integer> e : parts.vocab().entrySet()) {
                data.writeInt(e.getValue());
                writeBytes(data, e.getKey().getBytes(StandardCharsets.UTF_8));
            }
            data.writeInt(parts.merges().length / 3);
            for (int v : parts.merges()) {
                data.writeInt(v);
            }
            data.writeInt(parts.added().size());
            for (AddedToken t : parts.added()) {
                data.writeInt(t.id());
                data.writeByte((t.singleWord() ? 1 : 0) | (t.lstrip() ? 2 : 0) | (t.rstrip() ? 4 : 0) | (t.normalized() ? 8 : 0)
                        | (t.special() ? 16 : 0));
                writeBytes(data, t.content().getBytes(StandardCharsets.UTF_8));
            }
            data.flush();
            file.write(ByteBuffer.allocate(8).putLong(crc.getValue()).array()); // over everything before it
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", out + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", out + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tokenizer of {@code tokenizerJson}: from {@code compiled} when that was compiled from the file as it
     * is now, else from the JSON. A compiled file that is stale or unreadable is passed over with a log line,
     * never trusted.
     */
    public static Tokenizer load(Path tokenizerJson, Path compiled) {
        return read(compiled, tokenizerJson).orElseGet(() -> Tokenizer.load(tokenizerJson));
    }

    /** The compiled tokenizer, or empty when {@code compiled} is missing, stale for {@code tokenizerJson}, or unreadable. */
    public static Optional<Tokenizer> read(Path compiled, Path tokenizerJson) {
        ByteBuffer in;
        try {
            in = ByteBuffer.wrap(Files.readAllBytes(compiled));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, compiled + " is unreadable (" + e.getMessage() + "); reading " + tokenizerJson);
            return Optional.empty();
        }
        try {
            CRC32 crc = new CRC32();
            crc.update(in.array(), 0, Math.max(0, in.limit() - 8));
            if (in.limit() < 16 || in.getLong(in.limit() - 8) != crc.getValue()) {
                LOG.log(System.Logger.Level.WARNING, compiled + " is damaged (checksum); reading " + tokenizerJson);
                return Optional.empty();
            }
            in.limit(in.limit() - 8);
            if (in.getInt() != MAGIC || in.getInt() != VERSION) {
                LOG.log(System.Logger.Level.WARNING, compiled + " is not a compiled tokenizer of this version; reading " + tokenizerJson);
                return Optional.empty();
            }
            long size = in.getLong();
            long modified = in.getLong();
            if (!Files.exists(tokenizerJson) || Files.size(tokenizerJson) != size
                    || Files.getLastModifiedTime(tokenizerJson).toMillis() != modified) {
                LOG.log(System.Logger.Level.INFO, tokenizerJson + " changed since " + compiled + " was compiled; reading the JSON");
                return Optional.empty();
            }
            String pipeline = new String(readBytes(in), StandardCharsets.UTF_8);
            int tokens = in.getInt();
            Map<String, Integer> vocab = new HashMap<>(tokens * 2);
            for (int i = 0; i < tokens; i++) {
                int id = in.getInt();
                vocab.put(new String(readBytes(in), StandardCharsets.UTF_8), id);
            }
            int[] merges = new int[3 * in.getInt()];
            in.asIntBuffer().get(merges);
            in.position(in.position() + 4 * merges.length);
            int addedCount = in.getInt();
            List<AddedToken> added = new ArrayList<>(addedCount);
            for (int i = 0; i < addedCount; i++) {
                int id = in.getInt();
                int flags = in.get();
                added.add(new AddedToken(id, new String(readBytes(in), StandardCharsets.UTF_8), (flags & 1) != 0, (flags & 2) != 0,
                        (flags & 4) != 0, (flags & 8) != 0, (flags & 16) != 0));
            }
            if (in.hasRemaining()) {
                throw new IOException(in.remaining() + " bytes after the added tokens");
            }
            return Optional.of(TokenizerJsonReader.fromParts(tokenizerJson, new Parts(pipeline, vocab, merges, added)));
        } catch (IOException | BufferUnderflowException | NegativeArraySizeException | IndexOutOfBoundsException | StorageException e) {
            LOG.log(System.Logger.Level.WARNING, compiled + " is damaged (" + e + "); reading " + tokenizerJson);
            return Optional.empty();
        }
    }

    private static void writeBytes(DataOutputStream data, byte[] bytes) throws IOException {
        data.writeInt(bytes.length);
        data.write(bytes);
    }

    private static byte[] readBytes(ByteBuffer in) {
        byte[] bytes = new byte[in.getInt()];
        in.get(bytes);
        return bytes;
    }
}
