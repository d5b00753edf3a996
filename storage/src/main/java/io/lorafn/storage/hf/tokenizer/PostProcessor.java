package io.lorafn.storage.hf.tokenizer;

import java.util.Arrays;

/**
 * What tokenizer.json's {@code post_processor} does to a single sequence when special tokens are requested: ids
 * before it and ids after it. TemplateProcessing's single template {@code [<|begin_of_text|>, $A]} becomes
 * prefix {@code [128000]}, suffix {@code []}; the ByteLevel processor only touches offsets, so it is empty.
 */
record PostProcessor(int[] prefix, int[] suffix) {
    static final PostProcessor NONE = new PostProcessor(new int[0], new int[0]);

    /** This processor applied after {@code inner}, as HF's Sequence processor runs them in order. */
    PostProcessor around(PostProcessor inner) {
        return new PostProcessor(concat(prefix, inner.prefix), concat(inner.suffix, suffix));
    }

    int[] apply(int[] ids) {
        if (prefix.length == 0 && suffix.length == 0) return ids;
        return concat(concat(prefix, ids), suffix);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
