package io.lorafn.storage.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.kernels.Bf16;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Streams a safetensors file: the header is written from the declared entries, then each tensor's
 * values arrive in order, in as many chunks as the caller likes, and are encoded to the entry's dtype.
 */
public final class SafetensorsWriter implements AutoCloseable {
    public record Entry(String name, DType dtype, long[] shape) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private final FileChannel channel;
    private final List<Entry> entries;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private int current = 0;
    private long writtenInCurrent = 0;

    public SafetensorsWriter(Path path, List<Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.entries = List.copyOf(entries);
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            writeHeader(metadata);
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", path + ": " + e.getMessage(), e);
        }
    }

    private void writeHeader(Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().name());
            var shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            long bytes = e.elements() * e.dtype().bytes();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // keeps the data section 8-byte aligned, as safetensors does
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        while (head.hasRemaining()) {
            channel.write(head);
        }
        skipEmpty();
    }

    /** Appends values to the current tensor, moving to the next when it is full. */
    public void write(float[] values, int from, int count) {
        for (int i = from; i < from + count; ) {
            if (current >= entries.size()) {
                throw new IllegalStateException(path + ": more values than the declared tensors hold");
            }
            Entry e = entries.get(current);
            int n = (int) Math.min(from + count - i, e.elements() - writtenInCurrent);
            for (int k = 0; k < n; k++) {
                put(e.dtype(), values[i + k]);
            }
            i += n;
            writtenInCurrent += n;
            if (writtenInCurrent == e.elements()) {
                current++;
                writtenInCurrent = 0;
                skipEmpty();
            }
        }
    }

    public void write(float[] values) {
        write(values, 0, values.length);
    }

    private void skipEmpty() {
        while (current < entries.size() && entries.get(current).elements() == 0) {
            current++;
        }
    }

    private void put(DType dtype, float v) {
        if (buffer.remaining() < 4) {
            flush();
        }
        switch (dtype) {
            case F32 -> buffer.putFloat(v);
            case BF16 -> buffer.putShort(Bf16.round(v));
            case F16 -> buffer.putShort(Float.floatToFloat16(v));
            default -> throw new IllegalArgumentException("cannot write " + dtype);
        }
    }

    private void flush() {
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
        buffer.clear();
    }

    @Override
    public void close() {
        try {
            flush();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (current < entries.size()) {
            throw new IllegalStateException(path + ": closed before tensor '" + entries.get(current).name() + "' was complete");
        }
    }
}
