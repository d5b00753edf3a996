package io.lorafn.storage.hf.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts the input around literal occurrences of added tokens, as HF's AddedVocabulary does with its Aho-Corasick
 * automaton in leftmost-longest mode: scanning left to right, the first position where some added token starts
 * wins, and among tokens starting there the longest. A trie walk from each position gives the same matches.
 *
 * <p>Simplification: HF matches tokens with {@code normalized: true} against the normalized text; here every
 * added token is matched against the raw input. The two agree for the models this project loads (byte-level
 * models have no normalizer, and Llama 2's added tokens contain no spaces).
 */
final class AddedTokenSplitter {
    /** A piece of the input: either an added token ({@code tokenId >= 0}) or text still to tokenize. */
    record Segment(int tokenId, String text, int start) {
        boolean isToken() {
            return tokenId >= 0;
        }
    }

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean empty;

    AddedTokenSplitter(List<AddedToken> tokens) {
        boolean any = false;
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            Node node = root;
            for (int i = 0; i < t.content().length(); i++) {
                node = node.children.computeIfAbsent(t.content().charAt(i), c -> new Node());
            }
            node.token = t;
            any = true;
        }
        empty = !any;
    }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        if (empty) {
            if (!text.isEmpty()) out.add(new Segment(-1, text, 0));
            return out;
        }
        int emitted = 0; // end of what has been handed out, text or token
        int i = 0;
        while (i < text.length()) {
            AddedToken match = null;
            int matchEnd = -1;
            Node node = root;
            for (int j = i; j < text.length(); j++) {
                node = node.children.get(text.charAt(j));
                if (node == null) break;
                if (node.token != null) { match = node.token; matchEnd = j + 1; }
            }
            if (match == null) {
                i++;
                continue;
            }
            int start = i;
            int end = matchEnd;
            // A rejected single_word match is still consumed, as the automaton's iterator would.
            if (match.singleWord() && (isWordCharBefore(text, start) || isWordCharAt(text, end))) {
                i = end;
                continue;
            }
            if (match.lstrip()) {
                while (start > emitted && isWhiteSpace(text.charAt(start - 1))) start--;
            }
            if (match.rstrip()) {
                while (end < text.length() && isWhiteSpace(text.charAt(end))) end++;
            }
            if (emitted < start) out.add(new Segment(-1, text.substring(emitted, start), emitted));
            out.add(new Segment(match.id(), match.content(), start));
            emitted = end;
            i = end;
        }
        if (emitted < text.length()) out.add(new Segment(-1, text.substring(emitted), emitted));
        return out;
    }

    private static boolean isWordCharBefore(String s, int i) {
        return i > 0 && isWordChar(s.codePointBefore(i));
    }

    private static boolean isWordCharAt(String s, int i) {
        return i < s.length() && isWordChar(s.codePointAt(i));
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }

    /** Unicode White_Space, like Rust's char::is_whitespace (Java's isWhitespace leaves out no-break spaces). */
    static boolean isWhiteSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
