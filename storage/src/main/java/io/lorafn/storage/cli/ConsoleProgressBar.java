package io.lorafn.storage.cli;

import io.lorafn.storage.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr, so stdout stays the command's output. On a terminal it redraws one line;
 * elsewhere (CI logs) it prints a line every 10%.
 */
public final class ConsoleProgressBar implements Progress {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final boolean terminal;
    private String task = "";
    private long total = 1;
    private long done;
    private long startNanos;
    private long lastDrawNanos;
    private int lastDecile = -1;

    public ConsoleProgressBar() {
        this(System.err, System.console() != null);
    }

    ConsoleProgressBar(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public void start(String task, long total) {
        this.task = task;
        this.total = Math.max(1, total);
        this.done = 0;
        this.startNanos = System.nanoTime();
        this.lastDecile = -1;
        draw(true);
    }

    @Override
    public void advance(long units) {
        done = Math.min(total, done + units);
        draw(false);
    }

    @Override
    public void done() {
        done = total;
        draw(true);
        if (terminal) {
            err.println();
        }
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        double fraction = (double) done / total;
        if (terminal) {
            if (!force && now - lastDrawNanos < 100_000_000L) {
                return;
            }
            lastDrawNanos = now;
            int filled = (int) (fraction * WIDTH);
            err.print("\r" + task + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + line(fraction, now));
            err.flush();
        } else {
            int decile = (int) (fraction * 10);
            if (decile > lastDecile) {
                lastDecile = decile;
                err.println(task + ": " + line(fraction, now));
            }
        }
    }

    private String line(double fraction, long now) {
        double seconds = (now - startNanos) / 1e9;
        String eta = fraction > 0.02 && fraction < 1 ? String.format(Locale.ROOT, ", %.0fs left", seconds / fraction - seconds) : "";
        return String.format(Locale.ROOT, "%3.0f%% (%.1fs%s)", fraction * 100, seconds, eta);
    }
}
