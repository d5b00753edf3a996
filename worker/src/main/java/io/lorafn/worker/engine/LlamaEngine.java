package io.lorafn.worker.engine;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.Attention;
import io.lorafn.kernels.cpu.VectorMath;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.peft.LoraModule;
import io.lorafn.worker.WorkerException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Llama forward pass over a batch of rows, each with its own sequence, position and adapter. Every
 * weight matrix is read once per step for the whole batch; LoRA is applied unmerged, per adapter group:
 * {@code y = W·x + s·B·(A·x)}. A row's result depends only on its own inputs and cache.
 */
public final class LlamaEngine {
    private final LlamaWeights weights;
    private final ModelConfig c;
    private final Backend backend;
    private final float[] invFreq;
    private final ThreadLocal<float[]> scoreScratch = ThreadLocal.withInitial(() -> new float[0]);

    public LlamaEngine(LlamaWeights weights, Backend backend) {
        this.weights = weights;
        this.c = weights.config();
        this.backend = backend;
        double[] inv = c.ropeInverseFrequencies();
        this.invFreq = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            invFreq[i] = (float) inv[i];
        }
    }

    public ModelConfig config() {
        return c;
    }

    public LlamaWeights weights() {
        return weights;
    }

    public Backend backend() {
        return backend;
    }

    /** A KV block pool for this model's shape with the given byte budget. */
    public KvBlockPool newBlockPool(long budgetBytes, int blockPositions) {
        return new KvBlockPool(c.numHiddenLayers(), c.kvDim(), blockPositions, budgetBytes);
    }

    /** A cache of its own for one sequence of up to {@code positions} positions (tools and tests). */
    public KvCache newCache(int positions) {
        int blockPositions = 16;
        int blocks = (positions + blockPositions - 1) / blockPositions;
        return newBlockPool(blocks * KvBlockPool.bytesPerBlock(c.numHiddenLayers(), c.kvDim(), blockPositions), blockPositions)
                .newSequence();
    }

    /** Runs one step; returns logits for rows with {@code wantLogits}, null elsewhere. */
    public float[][] forward(List<BatchRow> rows) {
        int n = rows.size();
        int hidden = c.hiddenSize(), qDim = c.numAttentionHeads() * c.headDim(), kvDim = c.kvDim();
        for (BatchRow r : rows) {
            if (r.token() < 0 || r.token() >= c.vocabSize()) {
                throw new WorkerException("TOKEN_OUT_OF_RANGE", "token id " + r.token() + " is outside the vocabulary [0, "
                        + c.vocabSize() + ")");
            }
            if (r.position() >= c.maxPositionEmbeddings()) {
                throw new WorkerException("CONTEXT_TOO_LONG", "position " + r.position() + " is past the model's "
                        + c.maxPositionEmbeddings() + " positions");
            }
            r.cache().ensureCapacity(r.position() + 1);
        }
        Map<LoraAdapter, int[]> groups = adapterGroups(rows);
        float[][] x = new float[n][hidden];
        float[][] xn = new float[n][hidden];
        float[][] q = new float[n][qDim], k = new float[n][kvDim], v = new float[n][kvDim], att = new float[n][qDim];
        float[][] gate = new float[n][c.intermediateSize()], up = new float[n][c.intermediateSize()];
        float[][] out = new float[n][hidden];
        float[] cos = new float[invFreq.length], sin = new float[invFreq.length];
        int positions = maxPosition(rows) + 1;
        for (int b = 0; b < n; b++) {
            backend.dequantizeRow(weights.embedding(), rows.get(b).token(), x[b]);
        }
        float eps = (float) c.rmsNormEps();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            LlamaWeights.Layer layer = weights.layer(l);
            for (int b = 0; b < n; b++) {
                VectorMath.rmsnorm(xn[b], x[b], layer.attentionNorm(), eps);
            }
            projectEach(l, List.of(Projection.Q, Projection.K, Projection.V), layer, xn, List.of(q, k, v), n, groups);
            for (int b = 0; b < n; b++) {
                BatchRow r = rows.get(b);
                ropeTables(r.position(), cos, sin);
                VectorMath.rope(q[b], c.numAttentionHeads(), c.headDim(), cos, sin);
                VectorMath.rope(k[b], c.numKeyValueHeads(), c.headDim(), cos, sin);
                r.cache().store(l, r.position(), k[b], v[b]);
            }
            int layerIndex = l, kvHeads = c.numKeyValueHeads(), group = c.numAttentionHeads() / kvHeads;
            backend.forEach(n * kvHeads, task -> { // one row's query heads that share a kv head, per task
                BatchRow r = rows.get(task / kvHeads);
                int g = task % kvHeads;
                int from = c.slidingWindow() == null ? 0 : Math.max(0, r.position() - c.slidingWindow() + 1);
                Attention.attendHeads(q[task / kvHeads], r.cache().keys(layerIndex), r.cache().values(layerIndex), r.cache().blockTable(),
                        r.cache().blockPositions(), c.numAttentionHeads(), kvHeads, c.headDim(), from, r.position() + 1, g * group,
                        (g + 1) * group, scores(Attention.scratchLength(positions)), att[task / kvHeads]);
            });
            project(l, Projection.O, layer, att, out, n, groups);
            for (int b = 0; b < n; b++) {
                VectorMath.add(x[b], out[b], hidden);
                VectorMath.rmsnorm(xn[b], x[b], layer.ffnNorm(), eps);
            }
            projectEach(l, List.of(Projection.GATE, Projection.UP), layer, xn, List.of(gate, up), n, groups);
            for (int b = 0; b < n; b++) {
                VectorMath.swiglu(gate[b], up[b], c.intermediateSize());
            }
            project(l, Projection.DOWN, layer, gate, out, n, groups);
            for (int b = 0; b < n; b++) {
                VectorMath.add(x[b], out[b], hidden);
            }
        }
        for (BatchRow r : rows) {
            r.cache().advanceTo(r.position() + 1);
        }
        return logits(rows, x);
    }

    private float[][] logits(List<BatchRow> rows, float[][] x) {
        int wanted = 0;
        for (BatchRow r : rows) {
            wanted += r.wantLogits() ? 1 : 0;
        }
        float[][] normed = new float[wanted][c.hiddenSize()];
        float[][] logits = new float[wanted][c.vocabSize()];
        for (int b = 0, i = 0; b < rows.size(); b++) {
            if (rows.get(b).wantLogits()) {
                VectorMath.rmsnorm(normed[i++], x[b], weights.finalNorm(), (float) c.rmsNormEps());
            }
        }
        if (wanted > 0) {
            backend.matmul(weights.head(), normed, logits, wanted);
        }
        float[][] result = new float[rows.size()][];
        for (int b = 0, i = 0; b < rows.size(); b++) {
            if (rows.get(b).wantLogits()) {
                result[b] = logits[i++];
            }
        }
        return result;
    }

    /** This thread's attention scores scratch, at least {@code length} long (tasks run on the backend's threads). */
    private float[] scores(int length) {
        float[] s = scoreScratch.get();
        if (s.length < length) {
            s = new float[Math.max(length, 2 * s.length)];
            scoreScratch.set(s);
        }
        return s;
    }

    /**
     * y = W·x for every row of each projection of the same input, then each adapter group adds s·B·(A·x) to its own
     * rows ({@link Backend#projectEach}: on the CPU the base products in one hand-off, then the adapters in another).
     */
    private void projectEach(int l, List<Projection> ps, LlamaWeights.Layer layer, float[][] in, List<float[][]> ys, int n,
                             Map<LoraAdapter, int[]> groups) {
        List<List<LoraSegment>> lora = groups.isEmpty() ? List.of() : ps.stream().map(p -> segments(l, p, groups)).toList();
        backend.projectEach(ps.stream().map(layer::projection).toList(), lora, in, ys, n);
    }

    private void project(int l, Projection p, LlamaWeights.Layer layer, float[][] in, float[][] y, int n,
                         Map<LoraAdapter, int[]> groups) {
        projectEach(l, List.of(p), layer, in, List.<float[][]>of(y), n, groups);
    }

    /** One segment per adapter group that adapts projection {@code p} of layer {@code l}. */
    private static List<LoraSegment> segments(int l, Projection p, Map<LoraAdapter, int[]> groups) {
        List<LoraSegment> segments = new ArrayList<>(groups.size());
        for (Map.Entry<LoraAdapter, int[]> g : groups.entrySet()) {
            LoraModule m = g.getKey().module(l, p);
            if (m != null) {
                segments.add(new LoraSegment(m.a(), m.bTransposed(), m.scale(), g.getValue()));
            }
        }
        return segments;
    }

    private static Map<LoraAdapter, int[]> adapterGroups(List<BatchRow> rows) {
        Map<LoraAdapter, List<Integer>> lists = new IdentityHashMap<>();
        for (int b = 0; b < rows.size(); b++) {
            LoraAdapter a = rows.get(b).adapter();
            if (a != null) {
                lists.computeIfAbsent(a, key -> new ArrayList<>()).add(b);
            }
        }
        Map<LoraAdapter, int[]> groups = new IdentityHashMap<>();
        lists.forEach((a, idx) -> groups.put(a, idx.stream().mapToInt(Integer::intValue).toArray()));
        return groups;
    }

    private void ropeTables(int position, float[] cos, float[] sin) {
        for (int i = 0; i < invFreq.length; i++) {
            float angle = position * invFreq[i]; // float32 product, as transformers computes it
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    private static int maxPosition(List<BatchRow> rows) {
        int max = 0;
        for (BatchRow r : rows) {
            max = Math.max(max, r.position());
        }
        return max;
    }
}
