package io.souper.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The paper's figure 1 in small, as plain SVG text: every fine-tuned model is a grey point
 * at (held-out or test accuracy, mean accuracy over the distribution shifts); the uniform
 * soup, the greedy soups and the ensemble are marked with their own shapes; the best single
 * model is ringed. Axes with ticks and labels, a legend, no library.
 */
public final class Figure1Svg {

    /** Which accuracy goes on the x axis. */
    public enum XAxis {
        HELDOUT("held-out accuracy (%)"), TEST("test accuracy (%)");

        private final String label;

        XAxis(String label) {
            this.label = label;
        }
    }

    static final int WIDTH = 720;
    static final int HEIGHT = 520;
    private static final int LEFT = 70;
    private static final int RIGHT = 200; // room for the legend
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private final SoupReport report;
    private final XAxis xAxis;

    public Figure1Svg(SoupReport report, XAxis xAxis) {
        this.report = report;
        this.xAxis = xAxis;
    }

    public String render() {
        List<double[]> all = new ArrayList<>();
        report.models().forEach(m -> all.add(point(m)));
        report.rows().forEach(r -> all.add(point(r.score())));
        report.pretrained().ifPresent(p -> all.add(point(p)));
        Axis x = Axis.around(all.stream().mapToDouble(p -> p[0]).toArray());
        Axis y = Axis.around(all.stream().mapToDouble(p -> p[1]).toArray());
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;

        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append("<text x=\"").append(LEFT + plotW / 2).append("\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">")
                .append(escape(report.title())).append("</text>\n");
        // Grid, ticks and tick labels.
        for (double t : x.ticks()) {
            double px = LEFT + x.fraction(t) * plotW;
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    + "stroke=\"#e5e5e5\"/>%n", px, TOP, px, TOP + plotH));
            s.append(String.format(Locale.ROOT, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    + "stroke=\"black\"/>%n", px, TOP + plotH, px, TOP + plotH + 5));
            s.append(String.format(Locale.ROOT, "<text class=\"tick-label\" x=\"%.1f\" y=\"%d\" "
                    + "text-anchor=\"middle\">%s</text>%n", px, TOP + plotH + 19, x.label(t)));
        }
        for (double t : y.ticks()) {
            double py = TOP + plotH - y.fraction(t) * plotH;
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                    + "stroke=\"#e5e5e5\"/>%n", LEFT, py, LEFT + plotW, py));
            s.append(String.format(Locale.ROOT, "<line class=\"tick\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                    + "stroke=\"black\"/>%n", LEFT - 5, py, LEFT, py));
            s.append(String.format(Locale.ROOT, "<text class=\"tick-label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
                    + "dominant-baseline=\"middle\">%s</text>%n", LEFT - 8, py, y.label(t)));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"black\"/>%n", LEFT, TOP, plotW, plotH));
        s.append("<text x=\"").append(LEFT + plotW / 2).append("\" y=\"").append(HEIGHT - 15)
                .append("\" text-anchor=\"middle\">").append(xAxis.label).append("</text>\n");
        s.append("<text transform=\"translate(18,").append(TOP + plotH / 2)
                .append(") rotate(-90)\" text-anchor=\"middle\">mean accuracy over ")
                .append(report.bestSingle().shifts().size()).append(" distribution shifts (%)</text>\n");

        // Points: models first, so the combined models are drawn on top.
        for (ModelScore m : report.models()) {
            double[] p = pixel(point(m), x, y, plotW, plotH);
            s.append(String.format(Locale.ROOT, "<circle class=\"model\" data-id=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                    + "fill=\"#9e9e9e\" stroke=\"#616161\"><title>%s</title></circle>%n", escape(m.id()), p[0], p[1],
                    escape(m.id() + ": " + tooltip(m))));
        }
        ModelScore best = report.bestSingle();
        double[] bp = pixel(point(best), x, y, plotW, plotH);
        s.append(String.format(Locale.ROOT, "<circle class=\"best-single\" cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"none\" "
                + "stroke=\"black\" stroke-width=\"1.5\"/>%n", bp[0], bp[1]));
        report.pretrained().ifPresent(pre -> {
            double[] p = pixel(point(pre), x, y, plotW, plotH);
            s.append(String.format(Locale.ROOT, "<circle class=\"pretrained\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
                    + "fill=\"white\" stroke=\"#616161\" stroke-width=\"1.5\"><title>%s</title></circle>%n", p[0], p[1],
                    escape("pre-trained start: " + tooltip(pre))));
        });
        for (SoupScore row : report.rows()) {
            if (row.method() == SoupScore.Method.BEST_SINGLE) {
                continue;
            }
            double[] p = pixel(point(row.score()), x, y, plotW, plotH);
            s.append(marker(row.method(), p[0], p[1], escape(row.method().label() + " (" + row.size() + "): "
                    + tooltip(row.score()))));
        }
        legend(s, LEFT + plotW + 15, TOP + 10);
        s.append("</svg>\n");
        return s.toString();
    }

    private void legend(StringBuilder s, int x0, int y0) {
        int y = y0;
        s.append("<g class=\"legend\">\n");
        s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#9e9e9e\" stroke=\"#616161\"/>"
                + "<text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">fine-tuned model</text>%n", x0 + 8, y, x0 + 22, y));
        y += 22;
        s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"8\" fill=\"none\" stroke=\"black\" "
                + "stroke-width=\"1.5\"/><text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">best single model</text>%n",
                x0 + 8, y, x0 + 22, y));
        if (report.pretrained().isPresent()) {
            y += 22;
            s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"white\" stroke=\"#616161\" "
                    + "stroke-width=\"1.5\"/><text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">pre-trained start"
                    + "</text>%n", x0 + 8, y, x0 + 22, y));
        }
        for (SoupScore row : report.rows()) {
            if (row.method() == SoupScore.Method.BEST_SINGLE) {
                continue;
            }
            y += 22;
            s.append(marker(row.method(), x0 + 8, y, null));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">%s</text>%n",
                    x0 + 22, y, escape(row.method().label())));
        }
        s.append("</g>\n");
    }

    /** A shape per method; {@code title} null for legend entries. */
    private static String marker(SoupScore.Method method, double cx, double cy, String title) {
        String t = title == null ? "" : "<title>" + title + "</title>";
        String cls = (title == null ? "legend-" : "") + SoupReport.key(method).replace('_', '-');
        return switch (method) {
            case UNIFORM_SOUP -> String.format(Locale.ROOT, "<polygon class=\"%s\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f "
                    + "%.1f,%.1f\" fill=\"#1e88e5\" stroke=\"black\">%s</polygon>%n", cls, cx, cy - 8, cx + 8, cy, cx,
                    cy + 8, cx - 8, cy, t);
            case GREEDY_SORTED -> String.format(Locale.ROOT, "<polygon class=\"%s\" points=\"%s\" fill=\"#e53935\" "
                    + "stroke=\"black\">%s</polygon>%n", cls, star(cx, cy, 10, 4.2), t);
            case GREEDY_ONLINE -> String.format(Locale.ROOT, "<polygon class=\"%s\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" "
                    + "fill=\"#fb8c00\" stroke=\"black\">%s</polygon>%n", cls, cx, cy - 8, cx + 7, cy + 6, cx - 7, cy + 6, t);
            case ENSEMBLE -> String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"12\" "
                    + "height=\"12\" fill=\"#43a047\" stroke=\"black\">%s</rect>%n", cls, cx - 6, cy - 6, t);
            case BEST_SINGLE -> "";
        };
    }

    private static String star(double cx, double cy, double outer, double inner) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            double r = i % 2 == 0 ? outer : inner;
            double a = -Math.PI / 2 + i * Math.PI / 5;
            p.append(String.format(Locale.ROOT, "%.1f,%.1f ", cx + r * Math.cos(a), cy + r * Math.sin(a)));
        }
        return p.toString().trim();
    }

    private double[] point(ModelScore m) {
        return new double[] {xAxis == XAxis.TEST ? m.test() : m.heldout(), m.shiftMean()};
    }

    private static double[] pixel(double[] p, Axis x, Axis y, int plotW, int plotH) {
        return new double[] {LEFT + x.fraction(p[0]) * plotW, TOP + plotH - y.fraction(p[1]) * plotH};
    }

    private static String tooltip(ModelScore m) {
        return String.format(Locale.ROOT, "held-out %.2f, test %.2f, shifts %.2f", m.heldout(), m.test(), m.shiftMean());
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** A linear axis over [lo, hi] with "nice" ticks (steps of 1, 2 or 5 times a power of ten). */
    record Axis(double lo, double hi, double step) {

        static Axis around(double[] values) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double v : values) {
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (min == Double.POSITIVE_INFINITY) {
                min = 0;
                max = 100;
            }
            double span = Math.max(max - min, 0.5);
            double step = niceStep(span / 5);
            double lo = Math.floor((min - span * 0.08) / step) * step;
            double hi = Math.ceil((max + span * 0.08) / step) * step;
            return new Axis(lo, hi, step);
        }

        static double niceStep(double rough) {
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            double f = rough / power;
            double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
            return nice * power;
        }

        double fraction(double v) {
            return (v - lo) / (hi - lo);
        }

        List<Double> ticks() {
            List<Double> out = new ArrayList<>();
            int n = (int) Math.round((hi - lo) / step);
            for (int i = 0; i <= n; i++) {
                out.add(lo + i * step);
            }
            return out;
        }

        String label(double v) {
            int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }
}
