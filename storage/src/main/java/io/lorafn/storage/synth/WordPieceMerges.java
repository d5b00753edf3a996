package io.lorafn.storage.synth;

import io.lorafn.storage.hf.tokenizer.ByteLevelEncoding;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Fills a vocabulary past what the built-in corpus can teach with made-up but valid BPE merges that read like
 * English word pieces ("Ġcoming", "Ġtrainment", "stered"), so that a large synthetic vocabulary is mostly text.
 *
 * <p>Each merge joins a head (optional space, optional capital, lowercase letters) and a tail (lowercase letters)
 * into a token that is not yet in the vocabulary. Both shapes keep the result inside one pre-token of Llama 3's
 * split regex ({@code [^\r\n\p{L}\p{N}]?\p{L}+}); a token mixing letters with digits or punctuation could never be
 * produced by encoding and would waste its id. Pieces are drawn in proportion to how often the corpus showed them,
 * as real BPE vocabularies are built from frequent pieces, and some heads are earlier synthetic tokens, as real
 * BPE grows long words out of shorter merges. A result is kept only if each of its three-letter windows occurs in
 * some corpus-trained token, which rules out joins English never makes ("guu", "ksirr") without a dictionary.
 */
final class WordPieceMerges {
    /** Longest merged token in decoded characters; real vocabularies have few whole words longer than this. */
    static final int MAX_TOKEN_LENGTH = 12;
    /** Share of merges that extend an earlier synthetic token rather than a corpus-trained one. */
    private static final double EXTEND_SYNTHETIC = 0.25;
    /** Draws per merge before giving up; far above what any plausible vocabulary size needs. */
    private static final int MAX_ATTEMPTS = 100_000;

    private static final char SPACE = ByteLevelEncoding.charOf(' ');
    private static final Pattern HEAD = Pattern.compile(SPACE + "?[A-Z]?[a-z]*");
    private static final Pattern TAIL = Pattern.compile("[a-z]+");

    private WordPieceMerges() {}

    /**
     * Appends merges (and their tokens, with the next free ids) until {@code tokens} has {@code targetSize}
     * entries. Does nothing if it already has.
     *
     * @param counts per token, how often the corpus showed it; weights the choice of pieces
     */
    static void extend(List<String> tokens, List<String> merges, List<Integer> counts, int targetSize, Random random) {
        if (tokens.size() >= targetSize) return;
        Set<String> vocab = new HashSet<>(tokens);
        List<String> heads = new ArrayList<>();
        List<String> tails = new ArrayList<>();
        // Three-letter windows: pairs let through too much, four would need a larger corpus than ours.
        BitSet seen = new BitSet(1 << 18);
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            for (int i = 0; i + 3 <= token.length(); i++) {
                seen.set(window(token.charAt(i), token.charAt(i + 1), token.charAt(i + 2)));
            }
            // Square root: the space and single letters would otherwise crowd out every longer piece.
            int tickets = (int) Math.ceil(Math.sqrt(counts.get(id)));
            if (!token.isEmpty() && HEAD.matcher(token).matches()) addTickets(heads, token, tickets);
            if (TAIL.matcher(token).matches()) addTickets(tails, token, tickets);
        }
        List<String> made = new ArrayList<>();
        while (tokens.size() < targetSize) {
            for (int attempt = 0; ; attempt++) {
                if (attempt == MAX_ATTEMPTS) {
                    throw new IllegalStateException("no new word piece found after " + tokens.size() + " tokens");
                }
                String head = !made.isEmpty() && random.nextDouble() < EXTEND_SYNTHETIC
                        ? earlyBiased(made, random)
                        : heads.get(random.nextInt(heads.size()));
                String tail = tails.get(random.nextInt(tails.size()));
                // Most draws fail the window check, so it runs before the concatenation allocates anything.
                if (head.length() + tail.length() > MAX_TOKEN_LENGTH || !joinSeen(head, tail, seen)) continue;
                String merged = head + tail;
                if (vocab.add(merged)) {
                    tokens.add(merged);
                    merges.add(head + " " + tail);
                    made.add(merged);
                    break;
                }
            }
        }
    }

    /**
     * Whether every three-letter window of head + tail occurs in a corpus-trained token. Only windows across the
     * join need looking up: head and tail passed this check themselves or are corpus tokens. Results shorter than a
     * window fail, so two-letter tokens all come from the corpus.
     */
    private static boolean joinSeen(String head, String tail, BitSet seen) {
        int join = head.length();
        int length = join + tail.length();
        if (length < 3) return false;
        for (int i = Math.max(0, join - 2); i < join && i + 3 <= length; i++) {
            if (!seen.get(window(charAt(head, tail, i), charAt(head, tail, i + 1), charAt(head, tail, i + 2)))) {
                return false;
            }
        }
        return true;
    }

    private static char charAt(String head, String tail, int i) {
        return i < head.length() ? head.charAt(i) : tail.charAt(i - head.length());
    }

    /** Three characters packed into 18 bits, six each, so that the window set is a small BitSet. */
    private static int window(char a, char b, char c) {
        return code(a) << 12 | code(b) << 6 | code(c);
    }

    /** Letters and the space marker get their own codes; anything else (never in a head or tail) shares 63. */
    private static int code(char c) {
        if (c >= 'a' && c <= 'z') return c - 'a';
        if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
        return c == SPACE ? 52 : 63;
    }

    /** A piece appears once per ticket, so a uniform draw from the list is a frequency-weighted one. */
    private static void addTickets(List<String> pool, String token, int tickets) {
        for (int i = 0; i < tickets; i++) pool.add(token);
    }

    /** Earlier ids stand for more frequent tokens in BPE; squaring a uniform draw favours them. */
    private static String earlyBiased(List<String> made, Random random) {
        double u = random.nextDouble();
        return made.get((int) (u * u * made.size()));
    }
}
