package io.lorafn.storage.hf.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hand-built tokenizer.json files small enough to work out expected ids on paper. The expected ids in the tests
 * were also checked against Hugging Face tokenizers 0.22 when the fixtures were written.
 */
final class TokenizerFixtures {
    private TokenizerFixtures() {}

    /**
     * A GPT-2-style byte-level BPE over the letters a, b, c and space (Ġ). The merge ranks are chosen so that the
     * lowest-rank-first order differs from a left-to-right greedy merge:
     * <pre>
     *   rank 0: b c -> bc      rank 3: Ġ a  -> Ġa
     *   rank 1: a b -> ab      rank 4: Ġa b -> Ġab   (only reachable when "a b" has not fired first)
     *   rank 2: a bc -> abc    rank 5: a a  -> aa
     * </pre>
     * Added tokens: {@code <x>} (id 10, special) and {@code <x>>} (id 11, not special).
     */
    static String tinyByteLevel(boolean ignoreMerges, boolean mergesAsPairs) {
        String merges = mergesAsPairs
                ? """
                  [["b", "c"], ["a", "b"], ["a", "bc"], ["Ġ", "a"], ["Ġa", "b"], ["a", "a"]]"""
                : """
                  ["b c", "a b", "a bc", "Ġ a", "Ġa b", "a a"]""";
        return """
                {
                  "version": "1.0",
                  "truncation": null,
                  "padding": null,
                  "added_tokens": [
                    {"id": 10, "content": "<x>", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": true},
                    {"id": 11, "content": "<x>>", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": false}
                  ],
                  "normalizer": null,
                  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                                    "use_regex": true},
                  "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false,
                                     "use_regex": true},
                  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                  "model": {
                    "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                    "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                    "ignore_merges": %s,
                    "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "bc": 5, "abc": 6, "Ġa": 7, "Ġab": 8, "aa": 9},
                    "merges": %s
                  }
                }
                """.formatted(ignoreMerges, merges);
    }

    /**
     * A Llama-2-style SentencePiece BPE: {@code <unk> <s> </s>} at 0-2, the 256 byte tokens {@code <0x00>..<0xFF>} at
     * 3-258 (so {@code <0xNN>} has id 3 + 0xNN), then {@code ▁ h l o w r d ll llo ▁h ▁w rl rld} at 259-271 with merges
     * {@code l l, ll o, ▁ h, ▁ w, r l, rl d}. Normalizer Prepend("▁") + Replace(" " -> "▁"), byte fallback, Llama 2's
     * decoder chain and a TemplateProcessing that prepends {@code <s>}.
     */
    static String sentencePiece() {
        StringBuilder vocab = new StringBuilder("\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2");
        for (int b = 0; b < 256; b++) vocab.append(String.format(", \"<0x%02X>\": %d", b, 3 + b));
        String[] pieces = {"▁", "h", "l", "o", "w", "r", "d", "ll", "llo", "▁h", "▁w", "rl", "rld"};
        for (int i = 0; i < pieces.length; i++) vocab.append(", \"").append(pieces[i]).append("\": ").append(259 + i);
        return """
                {
                  "version": "1.0",
                  "truncation": null,
                  "padding": null,
                  "added_tokens": [
                    {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": true},
                    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": true},
                    {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": true}
                  ],
                  "normalizer": {"type": "Sequence", "normalizers": [
                    {"type": "Prepend", "prepend": "▁"},
                    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
                  ]},
                  "pre_tokenizer": null,
                  "post_processor": {
                    "type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                    "pair": [],
                    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
                  },
                  "decoder": {"type": "Sequence", "decoders": [
                    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                    {"type": "ByteFallback"},
                    {"type": "Fuse"},
                    {"type": "Strip", "content": " ", "start": 1, "stop": 0}
                  ]},
                  "model": {
                    "type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                    "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
                    "vocab": {%s},
                    "merges": ["l l", "ll o", "▁ h", "▁ w", "r l", "rl d"]
                  }
                }
                """.formatted(vocab);
    }

    /** Writes and loads {@link #tinyByteLevel}. */
    static Tokenizer tiny(Path dir, boolean ignoreMerges, boolean mergesAsPairs) {
        String name = "tiny-" + ignoreMerges + "-" + mergesAsPairs + ".json";
        return Tokenizer.load(write(dir, name, tinyByteLevel(ignoreMerges, mergesAsPairs)));
    }

    static Path write(Path dir, String name, String json) {
        try {
            return Files.writeString(dir.resolve(name), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites one top-level field of a tokenizer.json (e.g. to swap its pre_tokenizer). */
    static Path withField(Path source, Path target, String field, String fieldJson) {
        try {
            ObjectMapper json = new ObjectMapper();
            ObjectNode root = (ObjectNode) json.readTree(source.toFile());
            root.set(field, json.readTree(fieldJson));
            json.writeValue(target.toFile(), root);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
