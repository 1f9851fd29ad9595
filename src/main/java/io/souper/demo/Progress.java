package io.souper.demo;

import java.util.Locale;

/** Text progress bars and percentages for the demo's console: plain characters, fine in logs too. */
final class Progress {
    private static final int WIDTH = 20;

    private Progress() {
    }

    static String bar(long done, long total) {
        int filled = total <= 0 ? 0 : (int) Math.min(WIDTH, Math.round(WIDTH * (double) done / total));
        return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total;
    }

    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
