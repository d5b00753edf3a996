package io.lorafn.storage.synth;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.tokenizer.ByteLevelEncoding;
import io.lorafn.storage.hf.tokenizer.SplitPatterns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a Llama-3-style byte-level BPE tokenizer.json of an exact vocabulary size, trained on a small built-in
 * English corpus so that encodings look like a real model's (common words are single tokens, rare ones split).
 *
 * <p>Id layout: 256 byte tokens in GPT-2 order, then the merges trained on the corpus, then synthetic word-piece
 * merges ({@link WordPieceMerges}) for whatever the corpus could not fill, then a few
 * {@code <|reserved_special_token_N|>} and the five named special tokens on the last five ids. The corpus runs out
 * after roughly 700 merges; filling a large vocabulary with reserved tokens instead would make a randomly
 * initialised model emit mostly special tokens, where Llama 3 has only 256 of them in 128256. Keeping the named
 * ones at fixed positions lets {@link #specialIds(int)} answer without training. The same (vocabSize, seed) always
 * gives the same bytes: training is deterministic (ties between equally frequent pairs go to the
 * lexicographically smallest pair) and every random choice comes from one {@link Random} seeded once.
 */
public final class SyntheticTokenizer {
    public static final int MIN_VOCAB_SIZE = 300;
    /** Bounds training time whatever the vocabulary size; the built-in corpus runs out (~700 merges) before it. */
    static final int MAX_MERGES = 3000;
    /** A pair that occurs once (in a paragraph of weight 1) says nothing about the language: training stops there. */
    private static final int MIN_PAIR_COUNT = 2;
    /** Llama 3's block of special ids, named and reserved together; smaller vocabularies get a smaller block. */
    static final int MAX_SPECIALS = 256;

    private static final String[] NAMED_SPECIALS = {
        "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"};

    /** Ids of the named special tokens, for config.json and generation_config.json. */
    public record SpecialIds(int bos, int eos, int eot, int startHeader, int endHeader) {}

    private SyntheticTokenizer() {}

    /** Where {@link #write} puts the named special tokens for a given vocabulary size. */
    public static SpecialIds specialIds(int vocabSize) {
        checkVocabSize(vocabSize);
        int first = vocabSize - NAMED_SPECIALS.length;
        return new SpecialIds(first, first + 1, first + 2, first + 3, first + 4);
    }

    /**
     * Writes tokenizer.json with ids 0..vocabSize-1, no gaps.
     *
     * @param seed chooses how much weight each corpus paragraph gets, and so which merges are learnt, and which
     *     synthetic merges fill the rest
     * @throws StorageException SYNTH_BAD_VOCAB_SIZE below {@link #MIN_VOCAB_SIZE}; FILE_UNWRITABLE on I/O errors
     */
    public static SpecialIds write(Path outFile, int vocabSize, long seed) {
        SpecialIds ids = specialIds(vocabSize);
        byte[] json = render(vocabSize, seed);
        try {
            Path parent = outFile.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.write(outFile, json);
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", outFile + ": " + e.getMessage(), e);
        }
        return ids;
    }

    private static void checkVocabSize(int vocabSize) {
        if (vocabSize < MIN_VOCAB_SIZE) {
            throw new StorageException("SYNTH_BAD_VOCAB_SIZE", "synthetic tokenizer vocab_size " + vocabSize
                    + " is below the minimum " + MIN_VOCAB_SIZE + " (256 byte tokens, special tokens, some merges)");
        }
    }

    static byte[] render(int vocabSize, long seed) {
        checkVocabSize(vocabSize);
        int reserved = reservedSpecials(vocabSize);
        int bpeBudget = vocabSize - NAMED_SPECIALS.length - reserved;
        Random random = new Random(seed);
        Training t = train(wordCounts(random), Math.min(bpeBudget, 256 + MAX_MERGES));
        WordPieceMerges.extend(t.tokens, t.merges, t.counts, bpeBudget, random);
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<String> specials = new ArrayList<>();
        for (int r = 0; r < reserved; r++) specials.add("<|reserved_special_token_" + r + "|>");
        specials.addAll(List.of(NAMED_SPECIALS));
        for (int i = 0; i < specials.size(); i++) {
            ObjectNode a = added.addObject();
            a.put("id", t.tokens.size() + i);
            a.put("content", specials.get(i));
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode preSteps = pre.putArray("pretokenizers");
        ObjectNode split = preSteps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", SplitPatterns.LLAMA3);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        byteLevel(preSteps.addObject(), false, true, false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "Sequence");
        ArrayNode processors = post.putArray("processors");
        byteLevel(processors.addObject(), true, false, true);
        template(processors.addObject(), specialIds(vocabSize).bos());
        byteLevel(root.putObject("decoder"), true, true, true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < t.tokens.size(); id++) vocab.put(t.tokens.get(id), id);
        ArrayNode merges = model.putArray("merges");
        for (String m : t.merges) merges.add(m);
        try {
            DefaultIndenter lf = new DefaultIndenter("  ", "\n"); // not the platform separator: same bytes everywhere
            DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(lf).withArrayIndenter(lf);
            return (json.writer(pretty).writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize an in-memory JSON tree", e);
        }
    }

    /**
     * Reserved (unnamed) special tokens for a vocabulary size: Llama 3 keeps 256 special ids in 128256, one in 500;
     * one in 128 gives the full block at Llama 3's size and shrinks it for test vocabularies, whose ids are better
     * spent on text. Never negative: at the smallest sizes only the named ones remain.
     */
    static int reservedSpecials(int vocabSize) {
        return Math.max(0, Math.min(MAX_SPECIALS, vocabSize / 128) - NAMED_SPECIALS.length);
    }

    private static void byteLevel(ObjectNode n, boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", useRegex);
    }

    /** Llama 3's template: BOS before every sequence. */
    private static void template(ObjectNode n, int bos) {
        String name = NAMED_SPECIALS[0];
        n.put("type", "TemplateProcessing");
        ArrayNode single = n.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", name).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = n.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", name).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", name).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = n.putObject("special_tokens").putObject(name);
        st.put("id", name);
        st.putArray("ids").add(bos);
        st.putArray("tokens").add(name);
    }

    /** Pre-tokenized, byte-level words of the corpus with their counts; the seed weights each paragraph 1-3x. */
    private static Map<String, Integer> wordCounts(Random random) {
        Pattern pattern = SplitPatterns.compile(SplitPatterns.LLAMA3);
        Map<String, Integer> counts = new TreeMap<>(); // sorted: iteration order must not depend on hashing
        for (String paragraph : CORPUS.split("\n\n")) {
            int weight = 1 + random.nextInt(3);
            Matcher m = pattern.matcher(paragraph + "\n");
            while (m.find()) counts.merge(ByteLevelEncoding.encode(m.group()), weight, Integer::sum);
        }
        return counts;
    }

    /** Tokens in id order, merges in rank order, and per token how often the corpus showed it (see {@link #train}). */
    private record Training(List<String> tokens, List<String> merges, List<Integer> counts) {}

    /**
     * Standard BPE training: count adjacent symbol pairs over all words (weighted by word count), merge the most
     * frequent pair everywhere, repeat until the vocabulary has {@code maxTokens} entries or no pair is frequent.
     * A token's count is how often its byte occurs, or for a merge how often the pair occurred when it was learnt:
     * the synthetic merges use it to prefer common pieces.
     */
    private static Training train(Map<String, Integer> wordCounts, int maxTokens) {
        List<String> tokens = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < 256; i++) {
            String s = String.valueOf(ByteLevelEncoding.charOf(ByteLevelEncoding.byteInVocabOrder(i)));
            ids.put(s, tokens.size());
            tokens.add(s);
            counts.add(0);
        }
        int[][] words = new int[wordCounts.size()][];
        int[] lengths = new int[words.length];
        int[] weights = new int[words.length];
        int w = 0;
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            String word = e.getKey();
            words[w] = new int[word.length()];
            for (int i = 0; i < word.length(); i++) {
                words[w][i] = ids.get(String.valueOf(word.charAt(i)));
                counts.set(words[w][i], counts.get(words[w][i]) + e.getValue());
            }
            lengths[w] = word.length();
            weights[w] = e.getValue();
            w++;
        }
        List<String> merges = new ArrayList<>();
        Map<Long, Integer> pairCounts = new HashMap<>();
        while (tokens.size() < maxTokens && merges.size() < MAX_MERGES) {
            pairCounts.clear();
            for (int k = 0; k < words.length; k++) {
                for (int i = 0; i + 1 < lengths[k]; i++) {
                    pairCounts.merge(((long) words[k][i] << 32) | words[k][i + 1], weights[k], Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 0;
            for (Map.Entry<Long, Integer> e : pairCounts.entrySet()) {
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && comparePairs(tokens, e.getKey(), best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (bestCount < MIN_PAIR_COUNT) break;
            int left = (int) (best >>> 32);
            int right = (int) best;
            String merged = tokens.get(left) + tokens.get(right);
            Integer mergedId = ids.get(merged);
            if (mergedId == null) {
                // A string can arise from two different splits; it keeps the id it got first, as HF's trainer does.
                mergedId = tokens.size();
                ids.put(merged, mergedId);
                tokens.add(merged);
                counts.add(bestCount);
            }
            merges.add(tokens.get(left) + " " + tokens.get(right));
            for (int k = 0; k < words.length; k++) lengths[k] = applyMerge(words[k], lengths[k], left, right, mergedId);
        }
        return new Training(tokens, merges, counts);
    }

    private static int comparePairs(List<String> tokens, long a, long b) {
        int c = tokens.get((int) (a >>> 32)).compareTo(tokens.get((int) (b >>> 32)));
        return c != 0 ? c : tokens.get((int) a).compareTo(tokens.get((int) b));
    }

    /** Merges every left-to-right occurrence of (left, right) in place; returns the new length. */
    private static int applyMerge(int[] word, int length, int left, int right, int merged) {
        int out = 0;
        for (int i = 0; i < length; i++) {
            if (i + 1 < length && word[i] == left && word[i + 1] == right) {
                word[out++] = merged;
                i++;
            } else {
                word[out++] = word[i];
            }
        }
        return out;
    }

    /**
     * The training text: prose on a few everyday subjects, a little code, numbers and dates, so that the learnt
     * merges cover common English words, indentation, operators and digit groups the way a real vocabulary does.
     */
    private static final String CORPUS = """
            The morning train to the coast was late again, and the platform filled with people who had clearly \
            expected it to be. A woman in a green coat read the timetable twice, sighed, and sat down on her \
            suitcase. Two students argued quietly about an exam they had both passed. When the train finally \
            arrived, nobody complained; they were simply glad to be moving, and the conversation turned to the \
            weather, which had been unusually warm for the time of year.

            In the kitchen, the recipe called for three eggs, two cups of flour, half a cup of sugar and a pinch \
            of salt. Mix the dry ingredients first, then add the eggs one at a time, stirring until the batter is \
            smooth. Bake it for 35 minutes at 180 degrees, or until a knife comes out clean. Let the cake cool \
            before you cut it, otherwise it will fall apart and the kitchen will smell wonderful for nothing.

            Scientists have known for a long time that the ocean absorbs a large share of the heat and carbon \
            dioxide that people release into the air. What is less well understood is how quickly the deep water \
            mixes with the surface. New measurements from floating sensors suggest that the process is slower in \
            some regions and faster in others, which matters for every model that tries to predict the climate of \
            the next hundred years.

            The committee met on Tuesday, 14 March 2023, at 10:30 in room 204. Present were the chair, the \
            treasurer and four members. The treasurer reported a balance of 12,450.75 euros, an increase of 8.3% \
            over the previous year. The budget for 2024 was approved with 5 votes in favour and 1 abstention. The \
            next meeting will take place on 2 May; members should send their proposals by 20 April.

            She had never been to the mountains before. The road climbed through forests of pine and birch, past \
            small villages where the houses had steep roofs and bright wooden shutters. At the top of the pass the \
            air was thin and cold, and the view opened onto a valley so wide and green that she stopped the car, \
            got out, and stood there for a long time without saying anything at all.

            def tokenize(text, vocab, merges):
                words = pattern.findall(text)
                ids = []
                for word in words:
                    if word in vocab:
                        ids.append(vocab[word])
                    else:
                        ids.extend(merge(word, merges))
                return ids

            public static int sum(int[] values) {
                int total = 0;
                for (int i = 0; i < values.length; i++) {
                    total += values[i];
                }
                return total;
            }

            Good software is written for the people who will read it later, including the author six months from \
            now. Choose names that say what a thing is for, keep functions short enough to understand at a \
            glance, and write tests that explain the behaviour you depend on. When something fails, the error \
            message should tell the reader what went wrong, where, and what they can do about it.

            The library opens at 9 a.m. on weekdays and at 11 a.m. on Saturdays. Children under 12 must be \
            accompanied by an adult. Books can be borrowed for 21 days and renewed twice, either at the desk or \
            online. Please return them on time: the fine is 0.25 per day, up to a maximum of 5.00 per item.

            Questions people ask: What time is it? Where are you going? Why didn't they call? How much does it \
            cost? I'm not sure, but I think it's about forty dollars. We'll see. You're right, they've already \
            left, and he'd rather wait until tomorrow. Don't worry; it isn't a problem.

            Numbers: 0 1 2 3 4 5 6 7 8 9 10 11 12 100 256 1000 1024 2048 4096 65536 3.14159 2.71828 -42 +7 1e-5 \
            0x1F 1,000,000 99.9% 24/7 9:45 1999 2000 2010 2020 2025.
            """;
}
