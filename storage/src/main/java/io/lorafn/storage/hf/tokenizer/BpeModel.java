package io.lorafn.storage.hf.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model: turns one pre-tokenized word into ids. The merge loop reproduces HF tokenizers'
 * {@code Word::merge_all}: start from one symbol per character, then repeatedly apply the adjacent pair with the
 * lowest merge rank (leftmost first on ties), re-queueing the pairs the merged symbol forms with its neighbours.
 * A heap keeps that O(n log n), which matters for SentencePiece-style models where a whole line is one "word".
 */
final class BpeModel {
    /** Words up to this many chars are cached (HF uses the same bound); longer ones are rare and would bloat it. */
    private static final int CACHE_MAX_WORD = 256;
    private static final int CACHE_CAPACITY = 10_000;

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    /** Id of {@code <0xNN>} for each byte, or -1; null when byte_fallback is off. */
    private final int[] byteFallbackIds;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(Map<String, Integer> vocab, MergeTable merges, int unkId, boolean fuseUnk, boolean byteFallback,
             boolean ignoreMerges) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        if (byteFallback) {
            byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++) {
                byteFallbackIds[b] = vocab.getOrDefault(byteFallbackToken(b), -1);
            }
        } else {
            byteFallbackIds = null;
        }
    }

    /** SentencePiece's name for a raw byte, e.g. {@code <0x0A>}: upper-case hex, two digits. */
    static String byteFallbackToken(int unsignedByte) {
        return String.format("<0x%02X>", unsignedByte);
    }

    /** Appends the ids of one word to {@code out}. */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            // Llama 3: a word that is itself a vocabulary entry is emitted whole, even if the merges would split it.
            Integer id = vocab.get(word);
            if (id != null) {
                out.add(id);
                return;
            }
        }
        boolean cacheable = word.length() < CACHE_MAX_WORD;
        if (cacheable) {
            int[] cached = cache.get(word);
            if (cached != null) {
                out.addAll(cached);
                return;
            }
        }
        int[] ids = mergeWord(word);
        // Bounded without eviction, like HF's cache: once full, new words are simply not remembered.
        if (cacheable && cache.size() < CACHE_CAPACITY) cache.put(word, ids);
        out.addAll(ids);
    }

    private int[] mergeWord(String word) {
        IntList symbols = initialSymbols(word);
        int n = symbols.size();
        int[] ids = symbols.toArray();
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Heap entries are rank << 32 | position: lowest rank first, then leftmost, exactly HF's Merge ordering.
        LongHeap queue = new LongHeap(Math.max(4, n));
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(ids[i], ids[i + 1]);
            if (m != MergeTable.ABSENT) queue.push(((long) MergeTable.rank(m) << 32) | i);
        }
        while (!queue.isEmpty()) {
            long top = queue.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            if (removed[pos] || next[pos] < 0) continue;
            int right = next[pos];
            // Stale entry: the symbols at pos have changed since it was queued (a symbol only ever grows by
            // absorbing its right neighbour, so the rank identifies the pair).
            long m = merges.get(ids[pos], ids[right]);
            if (m == MergeTable.ABSENT || MergeTable.rank(m) != rank) continue;
            ids[pos] = MergeTable.mergedId(m);
            removed[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) {
                long left = merges.get(ids[prev[pos]], ids[pos]);
                if (left != MergeTable.ABSENT) queue.push(((long) MergeTable.rank(left) << 32) | prev[pos]);
            }
            if (next[pos] >= 0) {
                long after = merges.get(ids[pos], ids[next[pos]]);
                if (after != MergeTable.ABSENT) queue.push(((long) MergeTable.rank(after) << 32) | pos);
            }
        }
        IntList out = new IntList(n);
        for (int i = 0; i < n; i++) if (!removed[i]) out.add(ids[i]);
        return out.toArray();
    }

    /**
     * One symbol per character; a character missing from the vocabulary becomes its {@code <0xNN>} byte tokens
     * (byte_fallback) or the unk token (consecutive unks fused into one when fuse_unk), else it is dropped, which
     * is what HF does when a BPE model has neither.
     */
    private IntList initialSymbols(String word) {
        IntList symbols = new IntList(word.length());
        boolean pendingUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int end = i + Character.charCount(cp);
            Integer id = vocab.get(word.substring(i, end));
            if (id != null) {
                if (pendingUnk) { symbols.add(unkId); pendingUnk = false; }
                symbols.add(id);
            } else if (byteFallbackIds != null && addByteFallback(word.substring(i, end), symbols, pendingUnk)) {
                pendingUnk = false;
            } else if (unkId >= 0) {
                if (pendingUnk && !fuseUnk) symbols.add(unkId);
                pendingUnk = true;
            }
            i = end;
        }
        if (pendingUnk) symbols.add(unkId);
        return symbols;
    }

    private boolean addByteFallback(String ch, IntList symbols, boolean pendingUnk) {
        byte[] bytes = ch.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteFallbackIds[b & 0xFF] < 0) return false;
        if (pendingUnk) symbols.add(unkId);
        for (byte b : bytes) symbols.add(byteFallbackIds[b & 0xFF]);
        return true;
    }

    /** Minimal growable int array; the hot path would otherwise box every id. */
    static final class IntList {
        private int[] a;
        private int size;

        IntList(int capacity) {
            a = new int[Math.max(4, capacity)];
        }

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > a.length) a = Arrays.copyOf(a, Math.max(size * 2, size + vs.length));
            System.arraycopy(vs, 0, a, size, vs.length);
            size += vs.length;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    /** Binary min-heap of longs. */
    private static final class LongHeap {
        private long[] h;
        private int size;

        LongHeap(int capacity) {
            h = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == h.length) h = Arrays.copyOf(h, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (h[parent] <= v) break;
                h[i] = h[parent];
                i = parent;
            }
            h[i] = v;
        }

        long pop() {
            long top = h[0];
            long last = h[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && h[child + 1] < h[child]) child++;
                if (last <= h[child]) break;
                h[i] = h[child];
                i = child;
            }
            if (size > 0) h[i] = last;
            return top;
        }
    }
}
