package io.lorafn.storage.hf.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * tokenizer.json's {@code decoder}, compiled into per-token steps plus what happens to the fused text.
 *
 * <p>HF runs decoders as a chain over the list of token strings. Every chain this project accepts has the same
 * shape: steps that rewrite each token on its own (Replace, ByteFallback, ByteLevel, Metaspace), then a fuse, then
 * at most a Strip of leading characters of the whole text. Seen that way, a token contributes either text or raw
 * bytes, and the output is those contributions concatenated, so the same code serves a one-shot decode and a
 * token-by-token stream ({@link Assembler}).
 */
final class TokenDecoder {
    /** A per-token rewrite. Input and result are a String (text) or a byte[] (raw bytes still to decode). */
    sealed interface Step {
        Object apply(Object piece, int tokenIndex);
    }

    /** Replace a literal pattern in the token text (Llama 2: "▁" to " "). */
    record Replace(String pattern, String content) implements Step {
        @Override
        public Object apply(Object piece, int tokenIndex) {
            return piece instanceof String s ? s.replace(pattern, content) : piece;
        }
    }

    /** SentencePiece byte tokens {@code <0xNN>} become the byte they name. */
    record ByteFallback() implements Step {
        @Override
        public Object apply(Object piece, int tokenIndex) {
            if (piece instanceof String s && s.length() == 6 && s.startsWith("<0x") && s.endsWith(">")) {
                int hi = Character.digit(s.charAt(3), 16);
                int lo = Character.digit(s.charAt(4), 16);
                if (hi >= 0 && lo >= 0) return new byte[] {(byte) (hi * 16 + lo)};
            }
            return piece;
        }
    }

    /** Byte stand-in characters back to bytes. */
    record ByteLevel() implements Step {
        @Override
        public Object apply(Object piece, int tokenIndex) {
            return piece instanceof String s ? ByteLevelEncoding.decodeToken(s) : piece;
        }
    }

    /**
     * The Metaspace decoder: the replacement char becomes a space, except that in the first token HF drops every
     * replacement char (that is how the prefix space it added when encoding disappears).
     */
    record Metaspace(char replacement, boolean dropInFirst) implements Step {
        @Override
        public Object apply(Object piece, int tokenIndex) {
            if (!(piece instanceof String s)) return piece;
            if (tokenIndex == 0 && dropInFirst) return s.replace(String.valueOf(replacement), "");
            return s.replace(replacement, ' ');
        }
    }

    /** A Strip decoder placed before any fuse: trims each token's own text. */
    record StripEach(char content, int start, int stop) implements Step {
        @Override
        public Object apply(Object piece, int tokenIndex) {
            if (!(piece instanceof String s)) return piece;
            int from = 0;
            while (from < start && from < s.length() && s.charAt(from) == content) from++;
            int to = s.length();
            while (s.length() - to < stop && to > from && s.charAt(to - 1) == content) to--;
            return s.substring(from, to);
        }
    }

    private final List<Step> steps;
    private final boolean joinWithSpace;
    private final boolean byteFallback;
    private final char stripChar;
    private final int stripStart;

    /**
     * @param joinWithSpace true when the file has no decoder: HF then joins token strings with single spaces
     * @param stripChar     leading character a post-fuse Strip removes from the whole text
     * @param stripStart    how many of them it removes at most (0: no Strip)
     */
    TokenDecoder(List<Step> steps, boolean joinWithSpace, char stripChar, int stripStart) {
        this.steps = List.copyOf(steps);
        this.joinWithSpace = joinWithSpace;
        this.byteFallback = steps.stream().anyMatch(s -> s instanceof ByteFallback);
        this.stripChar = stripChar;
        this.stripStart = stripStart;
    }

    Assembler newAssembler(boolean eager) {
        return new Assembler(eager);
    }

    /**
     * Accumulates token contributions into text. Raw bytes wait in a buffer until they form whole characters.
     * In one-shot mode ({@code eager == false}) invalid bytes are replaced exactly as HF does: a run of
     * byte-fallback tokens that is not valid UTF-8 gives one U+FFFD per byte, byte-level output is decoded lossily.
     * In streaming mode complete characters leave as soon as they are whole; the two agree on any valid UTF-8.
     */
    final class Assembler {
        private final boolean eager;
        private final StringBuilder out = new StringBuilder();
        private byte[] pending = new byte[16];
        private int pendingLen;
        private int tokenIndex;
        private int stripLeft = stripStart;

        private Assembler(boolean eager) {
            this.eager = eager;
        }

        void accept(String token) {
            Object piece = token;
            for (Step step : steps) piece = step.apply(piece, tokenIndex);
            if (joinWithSpace && tokenIndex > 0) acceptText(" ");
            tokenIndex++;
            if (piece instanceof byte[] bytes) {
                acceptBytes(bytes);
            } else {
                acceptText((String) piece);
            }
        }

        /** Ends the input: bytes still waiting become U+FFFD. */
        void finish() {
            flushPending();
        }

        /** Returns and forgets the text produced so far. */
        String take() {
            String s = out.toString();
            out.setLength(0);
            return s;
        }

        private void acceptBytes(byte[] bytes) {
            if (pendingLen + bytes.length > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLen + bytes.length));
            }
            System.arraycopy(bytes, 0, pending, pendingLen, bytes.length);
            pendingLen += bytes.length;
            if (eager) {
                StringBuilder text = new StringBuilder();
                int consumed = Utf8.decode(pending, 0, pendingLen, true, text);
                System.arraycopy(pending, consumed, pending, 0, pendingLen - consumed);
                pendingLen -= consumed;
                emit(text);
            }
        }

        private void acceptText(String text) {
            flushPending();
            emit(text);
        }

        private void flushPending() {
            if (pendingLen == 0) return;
            StringBuilder text = new StringBuilder();
            if (byteFallback && !eager && !Utf8.isValid(pending, 0, pendingLen)) {
                text.repeat(Utf8.REPLACEMENT, pendingLen);
            } else {
                Utf8.decode(pending, 0, pendingLen, false, text);
            }
            pendingLen = 0;
            emit(text);
        }

        private void emit(CharSequence text) {
            int from = 0;
            while (stripLeft > 0 && from < text.length()) {
                if (text.charAt(from) == stripChar) {
                    from++;
                    stripLeft--;
                } else {
                    stripLeft = 0;
                }
            }
            out.append(text, from, text.length());
        }
    }
}
