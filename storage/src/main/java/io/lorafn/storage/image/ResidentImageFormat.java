package io.lorafn.storage.image;

/**
 * The resident image's fixed frame: 8 bytes of magic, the header's length as a little-endian u64, the
 * header (UTF-8 JSON: format, config, source hash, tensor table), then tensors, each 64-byte aligned
 * (a cache line, and a whole number of any vector width the kernels use).
 */
final class ResidentImageFormat {
    static final byte[] MAGIC = {'L', 'O', 'R', 'A', 'F', 'N', 'I', '1'};
    static final int PREAMBLE = 16;
    static final int ALIGN = 64;
    /**
     * 2: Q4_0 matrices are stored in tiles of 16 interleaved rows (WeightFormat); version 1 had them row by row.
     * Version-1 images of the other formats are laid out exactly as version 2 and are still read.
     */
    static final int VERSION = 2;

    private ResidentImageFormat() {
    }

    static long align(long offset) {
        return (offset + ALIGN - 1) / ALIGN * ALIGN;
    }
}
