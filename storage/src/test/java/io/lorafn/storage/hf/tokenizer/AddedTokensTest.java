package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.synth.SyntheticTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddedTokensTest {

    @Test
    void addedTokensAreCutOutLiterallyAndTheLongestOneWins(@TempDir Path tmp) {
        Tokenizer t = TokenizerFixtures.tiny(tmp, false, false);
        // "<x>>" (11) is preferred over its prefix "<x>" (10); the text around them goes through BPE.
        assertArrayEquals(new int[] {0, 11, 1, 10, 2}, t.encode("a<x>>b<x>c", false));
        // Text is never merged across an added token: "ab" and "c" stay apart around "<x>".
        assertArrayEquals(new int[] {4, 10, 2}, t.encode("ab<x>c", false));
        assertEquals("a<x>>b<x>c", t.decode(new int[] {0, 11, 1, 10, 2}));
        assertTrue(t.isSpecial(10));
        assertFalse(t.isSpecial(11));
    }

    @Test
    void chatTemplateSpecialTokensAreSingleIdsAndNeverSplit(@TempDir Path tmp) {
        Path file = tmp.resolve("tokenizer.json");
        SyntheticTokenizer.SpecialIds ids = SyntheticTokenizer.write(file, 1024, 1);
        Tokenizer t = Tokenizer.load(file);
        String prompt = "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>";
        int[] encoded = t.encode(prompt, true);
        assertEquals(ids.bos(), encoded[0]);
        assertEquals(ids.startHeader(), encoded[1]);
        assertEquals(1, count(encoded, ids.endHeader()));
        assertEquals(ids.eot(), encoded[encoded.length - 1]);
        assertEquals("<|begin_of_text|>" + prompt, t.decode(encoded));
        // Special ids appear only where the literal text was; everything else is ordinary byte-level BPE.
        for (int i = 2; i < encoded.length - 1; i++) {
            if (encoded[i] != ids.endHeader()) assertFalse(t.isSpecial(encoded[i]), "id " + encoded[i]);
        }
    }

    @Test
    void aPartialSpecialTokenIsOrdinaryText(@TempDir Path tmp) {
        Path file = tmp.resolve("tokenizer.json");
        SyntheticTokenizer.SpecialIds ids = SyntheticTokenizer.write(file, 1024, 1);
        Tokenizer t = Tokenizer.load(file);
        int[] encoded = t.encode("<|eot_id", false);
        assertEquals(0, count(encoded, ids.eot()));
        assertTrue(encoded.length > 1);
        assertEquals("<|eot_id", t.decode(encoded));
    }

    @Test
    void lstripAndRstripSwallowTheSurroundingSpaces(@TempDir Path tmp) {
        String json = TokenizerFixtures.tinyByteLevel(false, false)
                .replace("\"content\": \"<x>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false",
                        "\"content\": \"<x>\", \"single_word\": false, \"lstrip\": true, \"rstrip\": true");
        Tokenizer t = Tokenizer.load(TokenizerFixtures.write(tmp, "strip.json", json));
        assertArrayEquals(new int[] {0, 10, 1}, t.encode("a  <x>  b", false));
    }

    private static long count(int[] ids, int id) {
        return Arrays.stream(ids).filter(i -> i == id).count();
    }
}
