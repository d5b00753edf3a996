package io.lorafn.storage.hf;

import java.util.Optional;

/** The seven linear projections of a Llama block, with their Hugging Face module paths. */
public enum Projection {
    Q("self_attn", "q_proj"), K("self_attn", "k_proj"), V("self_attn", "v_proj"), O("self_attn", "o_proj"),
    GATE("mlp", "gate_proj"), UP("mlp", "up_proj"), DOWN("mlp", "down_proj");

    private final String block;
    private final String moduleName;

    Projection(String block, String moduleName) {
        this.block = block;
        this.moduleName = moduleName;
    }

    /** "q_proj", the name PEFT's target_modules uses. */
    public String moduleName() {
        return moduleName;
    }

    /** "model.layers.3.self_attn.q_proj". */
    public String modulePath(int layer) {
        return "model.layers." + layer + "." + block + "." + moduleName;
    }

    public String weightName(int layer) {
        return modulePath(layer) + ".weight";
    }

    public int inFeatures(ModelConfig c) {
        return switch (this) {
            case Q, K, V, GATE, UP -> c.hiddenSize();
            case O -> c.numAttentionHeads() * c.headDim();
            case DOWN -> c.intermediateSize();
        };
    }

    public int outFeatures(ModelConfig c) {
        return switch (this) {
            case Q -> c.numAttentionHeads() * c.headDim();
            case K, V -> c.numKeyValueHeads() * c.headDim();
            case O -> c.hiddenSize();
            case GATE, UP -> c.intermediateSize();
            case DOWN -> c.hiddenSize();
        };
    }

    public static Optional<Projection> byModuleName(String name) {
        for (Projection p : values()) {
            if (p.moduleName.equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
