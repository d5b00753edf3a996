package io.lorafn.storage.hf.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * tokenizer.json's {@code pre_tokenizer}: splits normalized text into the words BPE runs on (BPE never merges
 * across words), and for byte-level models rewrites each word into byte stand-in characters.
 */
sealed interface PreTokenizer {
    /**
     * A word in the making. {@code atOrigin} is true only for the piece that starts at offset 0 of the original
     * input, which Metaspace's {@code prepend_scheme: "first"} needs.
     */
    record Piece(String text, boolean atOrigin) {}

    void split(Piece piece, List<Piece> out);

    PreTokenizer NONE = new Sequence(List.of());

    /** Applies {@link #split} to every piece and drops empty results, as HF's PreTokenizedString does. */
    default List<Piece> apply(List<Piece> pieces) {
        List<Piece> out = new ArrayList<>(pieces.size() * 2);
        for (Piece p : pieces) split(p, out);
        out.removeIf(p -> p.text().isEmpty());
        return out;
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(Piece piece, List<Piece> out) {
            out.addAll(apply(List.of(piece)));
        }

        @Override
        public List<Piece> apply(List<Piece> pieces) {
            List<Piece> current = pieces;
            for (PreTokenizer step : steps) current = step.apply(current);
            List<Piece> out = new ArrayList<>(current);
            out.removeIf(p -> p.text().isEmpty());
            return out;
        }
    }

    /** HF's SplitDelimiterBehavior: what happens to the text a pattern matched. */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(Piece piece, List<Piece> out) {
            splitWith(pattern, behavior, invert, piece, out);
        }
    }

    /**
     * ByteLevel: optionally prefix a space (to every piece, as HF does), optionally split with GPT-2's regex, then
     * replace each UTF-8 byte by its stand-in character.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        private static final Pattern GPT2 = SplitPatterns.compile(SplitPatterns.GPT2);

        @Override
        public void split(Piece piece, List<Piece> out) {
            String text = piece.text();
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            List<Piece> words = new ArrayList<>();
            Piece prefixed = new Piece(text, piece.atOrigin());
            if (useRegex) splitWith(GPT2, Behavior.ISOLATED, false, prefixed, words);
            else words.add(prefixed);
            for (Piece w : words) out.add(new Piece(ByteLevelEncoding.encode(w.text()), w.atOrigin()));
        }
    }

    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** SentencePiece's spaces-as-▁ convention done at pre-tokenization time (Mistral-style files). */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean splitWords) implements PreTokenizer {
        private static final Map<Character, Pattern> SPLITTERS = new ConcurrentHashMap<>();

        @Override
        public void split(Piece piece, List<Piece> out) {
            String text = piece.text().replace(' ', replacement);
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> true;
                case FIRST -> piece.atOrigin();
                case NEVER -> false;
            };
            if (prepend && !text.isEmpty() && text.charAt(0) != replacement) text = replacement + text;
            Piece replaced = new Piece(text, piece.atOrigin());
            if (splitWords) {
                Pattern splitter =
                        SPLITTERS.computeIfAbsent(replacement, c -> Pattern.compile(Pattern.quote(c.toString())));
                splitWith(splitter, Behavior.MERGED_WITH_NEXT, false, replaced, out);
            } else {
                out.add(replaced);
            }
        }
    }

    /** HF's NormalizedString::split: cut at pattern matches, then apply the delimiter behaviour. */
    private static void splitWith(Pattern pattern, Behavior behavior, boolean invert, Piece piece, List<Piece> out) {
        String s = piece.text();
        // (start, end, isMatch) spans covering the whole string, in order.
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(s);
        int prev = 0;
        while (m.find()) {
            if (m.start() == m.end()) continue;
            if (prev != m.start()) spans.add(new int[] {prev, m.start(), 0});
            spans.add(new int[] {m.start(), m.end(), 1});
            prev = m.end();
        }
        if (prev != s.length()) spans.add(new int[] {prev, s.length(), 0});
        if (invert) for (int[] span : spans) span[2] ^= 1;

        List<int[]> pieces = new ArrayList<>();
        switch (behavior) {
            case REMOVED -> { for (int[] sp : spans) if (sp[2] == 0) pieces.add(sp); }
            case ISOLATED -> pieces.addAll(spans);
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (int[] sp : spans) {
                    if (sp[2] == 1 && !previousMatch && !pieces.isEmpty()) pieces.getLast()[1] = sp[1];
                    else pieces.add(sp.clone());
                    previousMatch = sp[2] == 1;
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean nextMatch = false;
                for (int k = spans.size() - 1; k >= 0; k--) {
                    int[] sp = spans.get(k);
                    if (sp[2] == 1 && !nextMatch && !pieces.isEmpty()) pieces.getLast()[0] = sp[0];
                    else pieces.add(sp.clone());
                    nextMatch = sp[2] == 1;
                }
                java.util.Collections.reverse(pieces);
            }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                for (int[] sp : spans) {
                    if (!pieces.isEmpty() && (sp[2] == 1) == previousMatch) pieces.getLast()[1] = sp[1];
                    else pieces.add(sp.clone());
                    previousMatch = sp[2] == 1;
                }
            }
        }
        for (int[] p : pieces) {
            if (p[1] > p[0]) out.add(new Piece(s.substring(p[0], p[1]), piece.atOrigin() && p[0] == 0));
        }
    }
}
