package io.lorafn.storage.hf.tokenizer;

/**
 * UTF-8 decoding with the replacement rule Rust's {@code String::from_utf8_lossy} (and so HF tokenizers) uses:
 * each maximal invalid subpart becomes one U+FFFD. Written out by hand because streaming needs what the JDK
 * decoder does not offer: stop before a trailing sequence that is incomplete but may still become valid.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {}

    /**
     * Decodes {@code b[from, to)} into {@code out}. With {@code holdIncomplete}, a truncated sequence at the end is
     * left undecoded and its start returned; otherwise it becomes U+FFFD and {@code to} is returned.
     */
    static int decode(byte[] b, int from, int to, boolean holdIncomplete, StringBuilder out) {
        int i = from;
        while (i < to) {
            int n = sequence(b, i, to);
            if (n > 0) {
                out.appendCodePoint(codePoint(b, i, n));
                i += n;
            } else if (n < 0) {
                out.append(REPLACEMENT);
                i -= n;
            } else if (holdIncomplete) {
                return i;
            } else {
                out.append(REPLACEMENT);
                return to;
            }
        }
        return to;
    }

    /** True when {@code b[from, to)} is complete, valid UTF-8. */
    static boolean isValid(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int n = sequence(b, i, to);
            if (n <= 0) return false;
            i += n;
        }
        return true;
    }

    /**
     * Classifies the sequence starting at {@code i}: its length if valid, minus the length of the maximal invalid
     * subpart if invalid, or 0 if the bytes run out while everything so far could still be valid.
     */
    private static int sequence(byte[] b, int i, int to) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) return 1;
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            if (b0 == 0xE0) lo = 0xA0;      // overlong
            else if (b0 == 0xED) hi = 0x9F; // UTF-16 surrogates
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            if (b0 == 0xF0) lo = 0x90;      // overlong
            else if (b0 == 0xF4) hi = 0x8F; // above U+10FFFF
        } else {
            return -1;
        }
        for (int k = 1; k <= need; k++) {
            if (i + k >= to) return 0;
            int c = b[i + k] & 0xFF;
            if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return -k;
        }
        return need + 1;
    }

    private static int codePoint(byte[] b, int i, int n) {
        if (n == 1) return b[i];
        int cp = b[i] & (0x7F >> n);
        for (int k = 1; k < n; k++) cp = (cp << 6) | (b[i + k] & 0x3F);
        return cp;
    }
}
