package io.lorafn.storage.hf.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's {@code bytes_to_unicode} table. Byte-level BPE vocabularies never contain raw bytes: every byte is
 * stored as a printable character so that vocab and merges stay valid, whitespace-free JSON strings. Printable
 * Latin-1 bytes map to themselves; the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map to U+0100 onwards
 * in byte order, which is why a space shows up as {@code Ġ} (U+0120) in every GPT-2 / Llama 3 vocabulary.
 */
public final class ByteLevelEncoding {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char; -1 where the char is not one of the 256 byte stand-ins. Covers U+0000..U+0143. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];
    /** Bytes in the order GPT-2 assigns them: printable ones first, then the remapped ones. */
    private static final int[] VOCAB_ORDER = new int[256];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        boolean[] printable = new boolean[256];
        int k = 0;
        for (int b = '!'; b <= '~'; b++) { printable[b] = true; VOCAB_ORDER[k++] = b; }
        for (int b = 0xA1; b <= 0xAC; b++) { printable[b] = true; VOCAB_ORDER[k++] = b; }
        for (int b = 0xAE; b <= 0xFF; b++) { printable[b] = true; VOCAB_ORDER[k++] = b; }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            char c = printable[b] ? (char) b : (char) (256 + n++);
            if (!printable[b]) VOCAB_ORDER[k++] = b;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelEncoding() {}

    /** The stand-in character for one byte (0..255). */
    public static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte & 0xFF];
    }

    /** The byte a stand-in character represents, or -1 if {@code c} is not a stand-in. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The i-th byte in GPT-2's vocabulary order (ids 0..255 of a GPT-2 or Llama 3 vocabulary). */
    public static int byteInVocabOrder(int i) {
        return VOCAB_ORDER[i];
    }

    /** Text to its byte-level form: UTF-8 bytes, each replaced by its stand-in character. */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * The bytes a byte-level token stands for. As in HF's ByteLevel decoder, a token with any character outside
     * the table (an added token such as {@code " hello"}) contributes its own UTF-8 bytes unchanged.
     */
    public static byte[] decodeToken(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) return token.getBytes(StandardCharsets.UTF_8);
            out[i] = (byte) b;
        }
        return out;
    }
}
