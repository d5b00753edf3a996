package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Llama-2-style BPE: ▁ for spaces, byte fallback for characters outside the vocabulary. */
class SentencePieceBpeTest {
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int H = 260;
    private static final int LLO = 267;
    private static final int SPACE_H = 268;
    private static final int SPACE_W = 269;
    private static final int RLD = 271;

    @TempDir
    static Path dir;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = Tokenizer.load(TokenizerFixtures.write(dir, "sp.json", TokenizerFixtures.sentencePiece()));
    }

    /** {@code <0xNN>} sits at id 3 + 0xNN in the fixture. */
    private static int byteToken(int b) {
        return 3 + b;
    }

    @Test
    void charactersOutsideTheVocabularyBecomeTheirUtf8ByteTokens() {
        // "héllo wörld" -> "▁héllo▁wörld"; é = C3 A9 and ö = C3 B6 are not in the vocabulary.
        int[] expected = {
            SPACE_H, byteToken(0xC3), byteToken(0xA9), LLO, SPACE_W, byteToken(0xC3), byteToken(0xB6), RLD};
        int[] ids = tokenizer.encode("héllo wörld", false);
        assertArrayEquals(expected, ids);
        assertEquals("<0xC3>", tokenizer.tokenText(ids[1]));
        assertEquals("<0xA9>", tokenizer.tokenText(ids[2]));
    }

    @Test
    void byteFallbackTokensDecodeBackToTheExactText() {
        for (String s : new String[] {"héllo wörld", "hello world", "héllo\n", "emoji 😀 and 東京", "a  b"}) {
            assertEquals(s, tokenizer.decode(tokenizer.encode(s, false)), s);
        }
    }

    @Test
    void addSpecialPrependsBosAndTheDecoderOnlyStripsTheVeryFirstSpace() {
        int[] ids = tokenizer.encode("hello</s>", true);
        assertArrayEquals(new int[] {BOS, SPACE_H, byteToken('e'), LLO, EOS}, ids);
        assertEquals("<s> hello</s>", tokenizer.decode(ids));
        assertEquals("hello", tokenizer.decode(new int[] {SPACE_H, byteToken('e'), LLO}));
    }

    @Test
    void leadingSpaceInTheInputSurvivesTheRoundTrip() {
        // "▁" + "▁hello": the normalizer's prefix is the one the decoder strips.
        assertArrayEquals(new int[] {259, SPACE_H, byteToken('e'), LLO}, tokenizer.encode(" hello", false));
        assertEquals(" hello", tokenizer.decode(tokenizer.encode(" hello", false)));
    }

    @Test
    void invalidByteRunsDecodeToOneReplacementPerByteTokenLikeHuggingFace() {
        // C3 alone is a truncated sequence; HF's ByteFallback replaces each byte token of an invalid run.
        assertEquals("h\uFFFD\uFFFDllo", tokenizer.decode(new int[] {SPACE_H, byteToken(0xC3), byteToken(0xC3), LLO}));
    }

    @Test
    void bosAndEosAreFoundByName() {
        assertEquals(BOS, tokenizer.bosId().orElseThrow());
        assertArrayEquals(new int[] {EOS}, tokenizer.eosIds());
        assertEquals(272, tokenizer.vocabSize());
    }

    @Test
    void metaspacePreTokenizerWithPrependSchemeFirstMatchesTheNormalizerForm(@TempDir Path tmp) {
        // Mistral-style files move the ▁ handling from the normalizer to a Metaspace pre-tokenizer.
        Path sp = TokenizerFixtures.write(tmp, "sp.json", TokenizerFixtures.sentencePiece());
        Path noNormalizer = TokenizerFixtures.withField(sp, tmp.resolve("a.json"), "normalizer", "null");
        Path metaspace = TokenizerFixtures.withField(noNormalizer, tmp.resolve("b.json"), "pre_tokenizer",
                "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"first\", \"split\": false}");
        Tokenizer t = Tokenizer.load(metaspace);
        assertArrayEquals(tokenizer.encode("héllo wörld", false), t.encode("héllo wörld", false));
        // "first": only the piece at the start of the input gets the ▁ prefix, not the one after <s>.
        assertArrayEquals(new int[] {BOS, H, byteToken('e'), LLO}, t.encode("<s>hello", false));
    }
}
