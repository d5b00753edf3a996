package io.lorafn.worker.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.worker.reference.ReferenceSafetensors.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Independent double-precision Llama forward pass (HF modeling_llama.py semantics) with
 * optional unmerged PEFT LoRA adapters. A test oracle: clarity over speed, no KV cache.
 */
public final class ReferenceLlama {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADAPTER_PREFIX = "base_model.model.";

    /** One LoRA module: A [r, in], B [out, r], and its effective scale. */
    private record Lora(Tensor a, Tensor b, double scale) {
    }

    private final int hidden, intermediate, layers, heads, kvHeads, headDim, vocab;
    private final double eps;
    private final double[] invFreq;
    private final boolean tied;
    private final Map<String, Tensor> weights;
    private final Map<String, Lora> lora; // keyed by module name, e.g. model.layers.0.self_attn.q_proj

    private ReferenceLlama(ReferenceLlama base, Map<String, Lora> lora) {
        this.hidden = base.hidden; this.intermediate = base.intermediate; this.layers = base.layers;
        this.heads = base.heads; this.kvHeads = base.kvHeads; this.headDim = base.headDim;
        this.vocab = base.vocab; this.eps = base.eps; this.invFreq = base.invFreq;
        this.tied = base.tied; this.weights = base.weights; this.lora = lora;
    }

    private ReferenceLlama(JsonNode c, Map<String, Tensor> weights) {
        hidden = req(c, "hidden_size").asInt();
        intermediate = req(c, "intermediate_size").asInt();
        layers = req(c, "num_hidden_layers").asInt();
        heads = req(c, "num_attention_heads").asInt();
        kvHeads = has(c, "num_key_value_heads") ? c.get("num_key_value_heads").asInt() : heads;
        headDim = has(c, "head_dim") ? c.get("head_dim").asInt() : hidden / heads;
        vocab = req(c, "vocab_size").asInt();
        eps = req(c, "rms_norm_eps").asDouble();
        tied = has(c, "tie_word_embeddings") && c.get("tie_word_embeddings").asBoolean();
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads % kv heads != 0");
        if (has(c, "hidden_act") && !c.get("hidden_act").asText().equals("silu")) {
            throw new UnsupportedOperationException("hidden_act " + c.get("hidden_act"));
        }
        for (String b : new String[] {"attention_bias", "mlp_bias"}) {
            if (has(c, b) && c.get(b).asBoolean()) throw new UnsupportedOperationException(b);
        }
        this.weights = weights;
        this.lora = Map.of();
        invFreq = ropeInvFreq(c, headDim);
        checkShapes();
    }

    public static ReferenceLlama load(Path modelDir) {
        try {
            JsonNode config = JSON.readTree(modelDir.resolve("config.json").toFile());
            return new ReferenceLlama(config, ReferenceSafetensors.readModelDir(modelDir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** New instance using this base model plus the adapter (replaces any adapter on this instance). */
    public ReferenceLlama withAdapter(Path adapterDir) {
        try {
            JsonNode c = JSON.readTree(adapterDir.resolve("adapter_config.json").toFile());
            if (has(c, "use_dora") && c.get("use_dora").asBoolean()) throw new UnsupportedOperationException("DoRA");
            if (has(c, "bias") && !c.get("bias").asText().equals("none")) throw new UnsupportedOperationException("lora bias");
            int r = req(c, "r").asInt();
            double alpha = req(c, "lora_alpha").asDouble();
            boolean rslora = has(c, "use_rslora") && c.get("use_rslora").asBoolean();
            Map<String, Tensor> t = ReferenceSafetensors.read(adapterDir.resolve("adapter_model.safetensors"));

            // Group lora_A / lora_B tensors by the base module they modify.
            Map<String, Tensor[]> byModule = new HashMap<>();
            for (Map.Entry<String, Tensor> e : t.entrySet()) {
                String n = e.getKey();
                if (!n.startsWith(ADAPTER_PREFIX)) throw new IllegalArgumentException("unexpected adapter tensor " + n);
                n = n.substring(ADAPTER_PREFIX.length());
                int slot = n.endsWith(".lora_A.weight") ? 0 : n.endsWith(".lora_B.weight") ? 1 : -1;
                if (slot < 0) throw new IllegalArgumentException("unsupported adapter tensor " + e.getKey());
                String module = n.substring(0, n.length() - ".lora_A.weight".length());
                byModule.computeIfAbsent(module, k -> new Tensor[2])[slot] = e.getValue();
            }

            Map<String, Lora> out = new HashMap<>();
            for (Map.Entry<String, Tensor[]> e : byModule.entrySet()) {
                String m = e.getKey();
                Tensor a = e.getValue()[0], b = e.getValue()[1];
                if (a == null || b == null) throw new IllegalArgumentException(m + ": needs both lora_A and lora_B");
                if (!isTargeted(c.get("target_modules"), m)) throw new IllegalArgumentException(m + " not in target_modules");
                Tensor w = baseWeight(m);
                int rm = has(c, "rank_pattern") ? patternLookup(c.get("rank_pattern"), m, r).intValue() : r;
                double am = has(c, "alpha_pattern") ? patternLookup(c.get("alpha_pattern"), m, alpha).doubleValue() : alpha;
                // Cross-check the config against the stored shapes: A [r, in], B [out, r].
                if (a.shape().length != 2 || b.shape().length != 2 || a.dim(0) != rm || b.dim(1) != rm
                        || a.dim(1) != w.dim(1) || b.dim(0) != w.dim(0)) {
                    throw new IllegalArgumentException(m + ": lora shapes A" + java.util.Arrays.toString(a.shape())
                            + " B" + java.util.Arrays.toString(b.shape()) + " disagree with r=" + rm + " / base weight");
                }
                double scale = rslora ? am / Math.sqrt(rm) : am / rm;
                out.put(m, new Lora(a, b, scale));
            }
            return new ReferenceLlama(this, Map.copyOf(out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Logits [position][vocab] for the whole sequence; positions are 0..n-1. */
    public double[][] logits(int[] tokens) {
        int n = tokens.length;
        double[][] h = new double[n][];
        double[] embed = weights.get("model.embed_tokens.weight").data();
        for (int t = 0; t < n; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) throw new IllegalArgumentException("token " + tokens[t]);
            h[t] = java.util.Arrays.copyOfRange(embed, tokens[t] * hidden, (tokens[t] + 1) * hidden);
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            // Self-attention block (pre-norm, residual).
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] x = rmsNorm(h[t], p + "input_layernorm.weight");
                q[t] = rope(linear(p + "self_attn.q_proj", x), heads, t);
                k[t] = rope(linear(p + "self_attn.k_proj", x), kvHeads, t);
                v[t] = linear(p + "self_attn.v_proj", x);
            }
            int group = heads / kvHeads; // query heads sharing one kv head (repeat_kv)
            double scaling = 1.0 / Math.sqrt(headDim);
            for (int t = 0; t < n; t++) {
                double[] attn = new double[heads * headDim];
                for (int hh = 0; hh < heads; hh++) {
                    int kv = hh / group;
                    double[] scores = new double[t + 1]; // causal: keys 0..t only
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) dot += q[t][hh * headDim + d] * k[s][kv * headDim + d];
                        scores[s] = dot * scaling;
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) { scores[s] = Math.exp(scores[s] - max); sum += scores[s]; }
                    for (int s = 0; s <= t; s++) {
                        double pr = scores[s] / sum;
                        for (int d = 0; d < headDim; d++) attn[hh * headDim + d] += pr * v[s][kv * headDim + d];
                    }
                }
                double[] o = linear(p + "self_attn.o_proj", attn);
                for (int i = 0; i < hidden; i++) h[t][i] += o[i];
            }
            // MLP block (pre-norm, residual): down(silu(gate x) * up x).
            for (int t = 0; t < n; t++) {
                double[] x = rmsNorm(h[t], p + "post_attention_layernorm.weight");
                double[] gate = linear(p + "mlp.gate_proj", x), up = linear(p + "mlp.up_proj", x);
                double[] act = new double[intermediate];
                for (int i = 0; i < intermediate; i++) act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                double[] down = linear(p + "mlp.down_proj", act);
                for (int i = 0; i < hidden; i++) h[t][i] += down[i];
            }
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) out[t] = linear("lm_head", rmsNorm(h[t], "model.norm.weight"));
        return out;
    }

    /** HF rotary inv_freq: 1/theta^(2i/d), optionally rescaled by llama3 rope_scaling. */
    static double[] ropeInvFreq(JsonNode c, int dim) {
        // Older configs: rope_theta + rope_scaling; transformers v5 may fold both into rope_parameters.
        JsonNode scaling = has(c, "rope_scaling") ? c.get("rope_scaling") : c.get("rope_parameters");
        double theta = has(c, "rope_theta") ? c.get("rope_theta").asDouble()
                : has(scaling, "rope_theta") ? scaling.get("rope_theta").asDouble() : 10000.0;
        double[] inv = new double[dim / 2];
        for (int i = 0; i < dim / 2; i++) inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / dim);
        String type = scaling == null || scaling.isNull() ? "default"
                : has(scaling, "rope_type") ? scaling.get("rope_type").asText()
                : has(scaling, "type") ? scaling.get("type").asText() : "default";
        if (type.equals("default")) return inv;
        if (!type.equals("llama3")) throw new UnsupportedOperationException("rope_type " + type);
        // transformers.modeling_rope_utils._compute_llama3_parameters, element by element.
        double factor = req(scaling, "factor").asDouble();
        double lowFreqFactor = req(scaling, "low_freq_factor").asDouble();
        double highFreqFactor = req(scaling, "high_freq_factor").asDouble();
        double oldContextLen = req(scaling, "original_max_position_embeddings").asDouble();
        double lowFreqWavelen = oldContextLen / lowFreqFactor;
        double highFreqWavelen = oldContextLen / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            double llama = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                double smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                llama = (1 - smooth) * llama / factor + smooth * llama;
            }
            inv[i] = llama;
        }
        return inv;
    }

    /** RMSNorm: x / sqrt(mean(x^2) + eps) * weight. */
    private double[] rmsNorm(double[] x, String weightName) {
        double[] w = weights.get(weightName).data();
        double ss = 0;
        for (double xi : x) ss += xi * xi;
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * inv * w[i];
        return y;
    }

    /** HF rotate_half RoPE on each head: pairs (i, i + d/2) share angle position * inv_freq[i]. */
    private double[] rope(double[] x, int nHeads, int position) {
        double[] y = x.clone();
        int half = headDim / 2;
        for (int hh = 0; hh < nHeads; hh++) {
            int base = hh * headDim;
            for (int i = 0; i < half; i++) {
                double angle = position * invFreq[i];
                double cos = Math.cos(angle), sin = Math.sin(angle);
                double x1 = x[base + i], x2 = x[base + i + half];
                y[base + i] = x1 * cos - x2 * sin;        // x*cos + (-x2)*sin
                y[base + i + half] = x2 * cos + x1 * sin; // x*cos + x1*sin
            }
        }
        return y;
    }

    /** nn.Linear without bias (y = W x), plus unmerged LoRA scale * B (A x) when the module has one. */
    private double[] linear(String module, double[] x) {
        double[] y = matVec(baseWeight(module), x);
        Lora l = lora.get(module);
        if (l != null) {
            double[] bax = matVec(l.b(), matVec(l.a(), x));
            for (int i = 0; i < y.length; i++) y[i] += l.scale() * bax[i];
        }
        return y;
    }

    private Tensor baseWeight(String module) {
        Tensor w = module.equals("lm_head") && tied ? weights.get("model.embed_tokens.weight")
                : weights.get(module + ".weight");
        if (w == null) throw new IllegalArgumentException("no base weight for module " + module);
        return w;
    }

    private static double[] matVec(Tensor w, double[] x) {
        int rows = w.dim(0), cols = w.dim(1);
        if (cols != x.length) throw new IllegalArgumentException("matVec: " + cols + " cols vs " + x.length);
        double[] y = new double[rows];
        double[] d = w.data();
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += d[r * cols + c] * x[c];
            y[r] = s;
        }
        return y;
    }

    private void checkShapes() {
        expect("model.embed_tokens.weight", vocab, hidden);
        expect("model.norm.weight", hidden);
        if (!tied) expect("lm_head.weight", vocab, hidden);
        if (headDim % 2 != 0) throw new IllegalArgumentException("odd head_dim");
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            expect(p + "input_layernorm.weight", hidden);
            expect(p + "post_attention_layernorm.weight", hidden);
            expect(p + "self_attn.q_proj.weight", heads * headDim, hidden);
            expect(p + "self_attn.k_proj.weight", kvHeads * headDim, hidden);
            expect(p + "self_attn.v_proj.weight", kvHeads * headDim, hidden);
            expect(p + "self_attn.o_proj.weight", hidden, heads * headDim);
            expect(p + "mlp.gate_proj.weight", intermediate, hidden);
            expect(p + "mlp.up_proj.weight", intermediate, hidden);
            expect(p + "mlp.down_proj.weight", hidden, intermediate);
        }
    }

    private void expect(String name, long... shape) {
        Tensor t = weights.get(name);
        if (t == null) throw new IllegalArgumentException("missing weight " + name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        }
    }

    /** PEFT target_modules: a regex string must fullmatch; a list matches exact name or ".suffix". */
    static boolean isTargeted(JsonNode targets, String module) {
        if (targets == null || targets.isNull()) return false;
        if (targets.isTextual()) {
            String s = targets.asText();
            if (s.equals("all-linear")) return !module.equals("lm_head");
            return Pattern.matches(s, module);
        }
        for (JsonNode t : targets) {
            if (module.equals(t.asText()) || module.endsWith("." + t.asText())) return true;
        }
        return false;
    }

    /** PEFT rank_pattern / alpha_pattern: first key k with re.match("(.*\.)?(k)$", module) wins. */
    static Number patternLookup(JsonNode pattern, String module, Number fallback) {
        if (pattern == null || pattern.isNull()) return fallback;
        for (Map.Entry<String, JsonNode> e : pattern.properties()) {
            if (Pattern.compile("(.*\\.)?(" + e.getKey() + ")$").matcher(module).lookingAt()) {
                return e.getValue().numberValue();
            }
        }
        return fallback;
    }

    private static boolean has(JsonNode c, String field) {
        return c != null && c.hasNonNull(field);
    }

    private static JsonNode req(JsonNode c, String field) {
        if (!has(c, field)) throw new IllegalArgumentException("config missing " + field);
        return c.get(field);
    }

    public int vocabSize() { return vocab; }
    public int hiddenSize() { return hidden; }
    public int numLayers() { return layers; }
}
