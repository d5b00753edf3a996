package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.synth.SyntheticTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteLevelBpeTest {
    private static final List<String> SAMPLES = List.of(
            "The quick brown fox jumps over the lazy dog. It's 12:45, isn't it?",
            "  leading spaces, trailing spaces  \n\nand\tTabs\r\nand CRLF",
            "café, naïve, résumé, Ångström, Straße, ĳ, ﬁ",
            "emoji: 😀🚀 👍🏽 👩‍👩‍👧 and flags 🇫🇷",
            "中文分词测试，日本語のテキスト、한국어 문장",
            "mixed: x² ≤ ∑ αβγ — “quotes” «guillemets» \u00a0nbsp\u3000ideographic space",
            "code: for (int i = 0; i < n; i++) { sum += a[i]; } // 100000000 1,234.56",
            "");

    @TempDir
    static Path dir;
    static Tokenizer llama3Style;
    static Tokenizer gpt2Style;

    @BeforeAll
    static void writeTokenizers() {
        Path synthetic = dir.resolve("synthetic.json");
        SyntheticTokenizer.write(synthetic, 2048, 7);
        llama3Style = Tokenizer.load(synthetic);
        // Same vocabulary and merges, but GPT-2's pre-tokenizer: ByteLevel with its built-in regex.
        gpt2Style = Tokenizer.load(TokenizerFixtures.withField(synthetic, dir.resolve("gpt2.json"), "pre_tokenizer",
                "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}"));
    }

    @Test
    void decodeOfEncodeIsIdentityForAsciiAccentsEmojiAndCjk() {
        for (Tokenizer t : List.of(llama3Style, gpt2Style)) {
            for (String s : SAMPLES) {
                assertEquals(s, t.decode(t.encode(s, false)), () -> t + " on " + s);
            }
        }
    }

    @Test
    void addSpecialPrependsBeginOfTextFromTheTemplate() {
        int bos = llama3Style.bosId().orElseThrow();
        int[] plain = llama3Style.encode("Hello world", false);
        int[] withBos = llama3Style.encode("Hello world", true);
        assertEquals(plain.length + 1, withBos.length);
        assertEquals(bos, withBos[0]);
        assertEquals("<|begin_of_text|>Hello world", llama3Style.decode(withBos));
    }

    @Test
    void commonWordsOfTheTrainingCorpusAreSingleTokens() {
        int[] ids = llama3Style.encode(" the committee", false);
        assertEquals(2, ids.length);
        assertEquals("Ġthe", llama3Style.tokenText(ids[0]));
        assertEquals("Ġcommittee", llama3Style.tokenText(ids[1]));
    }

    @Test
    void lowestRankMergeAppliesFirstNotLeftToRight(@TempDir Path tmp) {
        Tokenizer t = TokenizerFixtures.tiny(tmp, false, false);
        // a b c: "b c" (rank 0) beats "a b" (rank 1), then "a bc" (rank 2) gives abc. Greedy left-to-right would
        // stop at [ab, c] because there is no "ab c" merge.
        assertArrayEquals(new int[] {6}, t.encode("abc", false));
        // a b c a b: "b c" first, then the second "a b" (rank 1) before "a bc" (rank 2): [abc, ab].
        assertArrayEquals(new int[] {6, 4}, t.encode("abcab", false));
        // Ġ a b: "a b" (rank 1) fires before "Ġ a" (rank 3), so "Ġa b" is never reachable: [Ġ, ab].
        assertArrayEquals(new int[] {3, 4}, t.encode(" ab", false));
        // Equal ranks: the leftmost pair goes first.
        assertArrayEquals(new int[] {9, 0}, t.encode("aaa", false));
        assertArrayEquals(new int[] {9, 9}, t.encode("aaaa", false));
        // Words are merged separately: "abc" and " ab".
        assertArrayEquals(new int[] {6, 3, 4}, t.encode("abc ab", false));
        assertEquals("abc ab", t.decode(new int[] {6, 3, 4}));
    }

    @Test
    void ignoreMergesEmitsAWordThatIsInTheVocabularyWhole(@TempDir Path tmp) {
        Tokenizer t = TokenizerFixtures.tiny(tmp, true, false);
        assertArrayEquals(new int[] {8}, t.encode(" ab", false)); // "Ġab" is a vocabulary entry
        assertArrayEquals(new int[] {6, 8}, t.encode("abc ab", false));
        assertArrayEquals(new int[] {3, 6}, t.encode(" abc", false)); // "Ġabc" is not: merges as usual
    }

    @Test
    void mergesAsPairsAndAsStringsGiveTheSameIds(@TempDir Path tmp) {
        Tokenizer strings = TokenizerFixtures.tiny(tmp, false, false);
        Tokenizer pairs = TokenizerFixtures.tiny(tmp, false, true);
        for (String s : List.of("abc", "abcab", " ab", "aaaa", "abc ab cab")) {
            assertArrayEquals(strings.encode(s, false), pairs.encode(s, false), s);
        }
    }

    @Test
    void splitPatternsTreatUnicodeSpacesAsWhiteSpaceLikeHuggingFace() {
        // HF's regex engine counts U+00A0 as \s. Java does too only with UNICODE_CHARACTER_CLASS; without it
        // " \u00a0" would be one punctuation-like word instead of a space followed by a space-like word.
        for (Tokenizer t : List.of(llama3Style, gpt2Style)) {
            StringBuilder tokens = new StringBuilder();
            for (int id : t.encode("a \u00a0b", false)) tokens.append('[').append(t.tokenText(id)).append(']');
            assertEquals("[a][Ġ][Â][ł][b]", tokens.toString(), t.toString());
        }
    }

    @Test
    void vocabularyLookupsAgree() {
        assertEquals(2048, llama3Style.vocabSize());
        for (int id = 0; id < llama3Style.vocabSize(); id++) {
            assertEquals(id, llama3Style.idOf(llama3Style.tokenText(id)).orElseThrow());
        }
        assertTrue(llama3Style.idOf("no such token").isEmpty());
        assertEquals("Ġ", llama3Style.tokenText(llama3Style.idOf("Ġ").orElseThrow()));
    }
}
