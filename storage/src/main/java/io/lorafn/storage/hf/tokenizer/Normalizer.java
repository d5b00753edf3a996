package io.lorafn.storage.hf.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * tokenizer.json's {@code normalizer}: rewrites each piece of text between added tokens before pre-tokenization.
 * Llama 2 uses {@code Sequence[Prepend("▁"), Replace(" ", "▁")]}; byte-level models have none.
 */
sealed interface Normalizer {
    String normalize(String s);

    Normalizer IDENTITY = new Sequence(List.of());

    record Sequence(List<Normalizer> steps) implements Normalizer {
        @Override
        public String normalize(String s) {
            for (Normalizer n : steps) s = n.normalize(s);
            return s;
        }
    }

    /** HF prepends only to non-empty text, so an empty piece stays empty and yields no tokens. */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.isEmpty() ? s : prefix + s;
        }
    }

    /** Replace every match of {@code pattern} (already a literal pattern for HF's {"String": ...}). */
    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override
        public String normalize(String s) {
            return pattern.matcher(s).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String normalize(String s) {
            return java.text.Normalizer.normalize(s, form);
        }
    }

    record Lowercase() implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.toLowerCase(Locale.ROOT);
        }
    }

    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public String normalize(String s) {
            int start = 0;
            int end = s.length();
            if (left) while (start < end && AddedTokenSplitter.isWhiteSpace(s.charAt(start))) start++;
            if (right) while (end > start && AddedTokenSplitter.isWhiteSpace(s.charAt(end - 1))) end--;
            return s.substring(start, end);
        }
    }
}
