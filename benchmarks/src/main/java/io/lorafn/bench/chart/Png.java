package io.lorafn.bench.chart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** Writes a chart as a PNG; every benchmark picture goes through here. */
public final class Png {
    private Png() {
    }

    /** Writes {@code chart} to {@code png} and returns the path; a failed write is unchecked, naming the file. */
    public static Path write(Chart<?, ?> chart, Path png) {
        try {
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
        return png;
    }
}
