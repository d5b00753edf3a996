package io.lorafn.worker.engine;

import java.util.List;

/**
 * Finds stop sequences in streamed text. Text that could still be the start of a stop sequence is held
 * back, so a client never sees part of a stop string that then matches.
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Appends decoded text; returns what may now be released. */
    String append(String delta) {
        if (stopped) {
            return "";
        }
        text.append(delta);
        int hit = firstStop();
        if (hit >= 0) {
            stopped = true;
            text.setLength(hit);
            return release(hit);
        }
        return release(text.length() - longestPendingPrefix());
    }

    boolean stopped() {
        return stopped;
    }

    /** Releases whatever is held back; called when generation ends for another reason. */
    String flush() {
        return release(text.length());
    }

    String text() {
        return text.toString();
    }

    private String release(int upTo) {
        if (upTo <= emitted) {
            return "";
        }
        String out = text.substring(emitted, upTo);
        emitted = upTo;
        return out;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int from = Math.max(0, emitted - s.length());
            int at = text.indexOf(s, from);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** Length of the longest text suffix that is a proper prefix of some stop sequence. */
    private int longestPendingPrefix() {
        int longest = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, text.length()); len > longest; len--) {
                if (text.substring(text.length() - len).equals(s.substring(0, len))) {
                    longest = len;
                    break;
                }
            }
        }
        return longest;
    }
}
