package io.lorafn.storage.image;

import io.lorafn.kernels.WeightFormat;

/** One entry of a resident image's tensor table; {@code offset} is from the start of the file, 64-aligned. */
public record ImageTensor(String name, WeightFormat format, int rows, int cols, long offset, long bytes) {
}
