package io.lorafn.storage.hf.tokenizer;

import java.util.regex.Pattern;

/**
 * The pre-tokenization regexes of the byte-level models, compiled the way HF tokenizers' Oniguruma engine reads
 * them. Java's {@code \s} is ASCII-only unless {@link Pattern#UNICODE_CHARACTER_CLASS} is set, while Oniguruma's
 * matches all Unicode white space (U+00A0, U+3000, ...), so every pattern from a tokenizer.json is compiled with
 * that flag. {@code \p{L}} and {@code \p{N}} are general categories either way.
 */
public final class SplitPatterns {
    /** GPT-2's pattern, implied by a ByteLevel pre-tokenizer with use_regex true (the default). */
    public static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Llama 3's pattern, carried in its tokenizer.json as a Split pre-tokenizer. */
    public static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private SplitPatterns() {}

    /** Compiles a tokenizer.json regex; throws {@link java.util.regex.PatternSyntaxException} if Java rejects it. */
    public static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }
}
