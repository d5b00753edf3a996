package io.lorafn.storage.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the progress bar writes, on a terminal and in a log. */
class ConsoleProgressBarTest {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalItRedrawsOneBarWithItsPercentageAndEndsTheLine() throws Exception {
        ConsoleProgressBar bar = new ConsoleProgressBar(err, true);
        bar.start("image", 4);
        Thread.sleep(150); // redraws are at most every 100 ms
        bar.advance(2);
        String before = written();
        assertTrue(before.startsWith("\rimage [" + " ".repeat(30) + "]   0%"), before);
        assertTrue(before.contains("\rimage [" + "#".repeat(15) + " ".repeat(15) + "]  50%"), "half the bar at half the work: " + before);
        assertFalse(before.contains("\n"), "one line, redrawn in place");
        bar.done();
        String all = written();
        assertTrue(all.contains("\rimage [" + "#".repeat(30) + "] 100%"), all);
        assertTrue(all.endsWith(System.lineSeparator()), "the next output starts on its own line");
        assertEquals(1, all.split("\n", -1).length - 1, "exactly one newline: " + all);
    }

    @Test
    void elsewhereItPrintsAPlainLineEveryTenthOfTheWork() {
        ConsoleProgressBar bar = new ConsoleProgressBar(err, false);
        bar.start("synth", 1000);
        for (int i = 0; i < 1000; i++) {
            bar.advance(1);
        }
        bar.done();
        String all = written();
        assertFalse(all.contains("\r") || all.contains("#"), "no bar, no carriage returns in a log: " + all);
        List<String> lines = all.lines().toList();
        assertEquals(11, lines.size(), "0%, 10%, ... 100%, not a line per unit: " + all);
        for (int i = 0; i <= 10; i++) {
            assertTrue(lines.get(i).startsWith(String.format("synth: %3d%%", 10 * i)), lines.get(i));
        }
    }
}
