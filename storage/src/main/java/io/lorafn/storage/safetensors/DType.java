package io.lorafn.storage.safetensors;

import java.util.Optional;

/** The element types a safetensors header may name. Only the float types can hold weights here. */
public enum DType {
    F32(4, true), F16(2, true), BF16(2, true),
    F64(8, false), I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false),
    F8_E4M3(1, false), F8_E5M2(1, false), U16(2, false), U32(4, false), U64(8, false);

    private final int bytes;
    private final boolean weightType;

    DType(int bytes, boolean weightType) {
        this.bytes = bytes;
        this.weightType = weightType;
    }

    public int bytes() {
        return bytes;
    }

    /** Whether the engine computes on (or converts exactly from) this type. */
    public boolean isWeightType() {
        return weightType;
    }

    public static Optional<DType> parse(String name) {
        try {
            return Optional.of(valueOf(name));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
