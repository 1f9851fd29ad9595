package io.souper.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A soup's report, side by side with the paper's: which model is best on held-out, test
 * and distribution shifts, and what each costs at inference. Writes {@code report.md} (the
 * paper's table beside this run's, plus what the numbers say, computed, not hand-written),
 * {@code report.json} (the same numbers for machines) and {@code figure1.svg} (the paper's
 * figure 1 in small: {@link Figure1Svg}).
 *
 * @param title        heading of the report
 * @param setup        lines describing the run (data, model, regime, timings), printed as a list
 * @param models       every fine-tuned model, in arrival order
 * @param pretrained   the shared start, if scored
 * @param uniform      the uniform soup of all models
 * @param greedy       the soup the report is about: the greedy soup its policy kept
 * @param otherGreedy  another greedy soup of the same checkpoints, if the caller compares one (the demo's online soup)
 * @param ensemble     the logit-mean ensemble of all models
 */
public record SoupReport(String title, List<String> setup, List<ModelScore> models, Optional<ModelScore> pretrained,
                         SoupScore uniform, SoupScore greedy, Optional<SoupScore> otherGreedy,
                         SoupScore ensemble) {

    public static final String MARKDOWN_FILE = "report.md";
    public static final String JSON_FILE = "report.json";
    public static final String SVG_FILE = "figure1.svg";

    /** Wortsman et al. 2022, CLIP ViT-B/32 fine-tuned 72 times on ImageNet (held-out = 2% of train). */
    static final List<PaperRow> PAPER = List.of(
            new PaperRow("best single model", 83.05, 80.39, 47.97, "1", "1"),
            new PaperRow("uniform soup (all 72)", 82.70, 79.97, 51.58, "72", "1"),
            new PaperRow("greedy soup", 83.98, 81.03, 50.86, "a few", "1"),
            new PaperRow("ensemble of all 72 (logit mean)", 83.81, 81.19, 50.88, "72", "72"));

    record PaperRow(String model, double heldout, double test, double shifts, String size, String passes) {
    }

    public SoupReport {
        setup = List.copyOf(setup);
        models = List.copyOf(models);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one model");
        }
    }

    /** The model with the best held-out accuracy; ties go to the earlier arrival, as in the souper. */
    public ModelScore bestSingle() {
        ModelScore best = models.get(0);
        for (ModelScore m : models) {
            if (m.heldout() > best.heldout()) {
                best = m;
            }
        }
        return best;
    }

    /** The rows of this run's table, best single first. */
    public List<SoupScore> rows() {
        List<SoupScore> rows = new ArrayList<>();
        ModelScore best = bestSingle();
        rows.add(new SoupScore(SoupScore.Method.BEST_SINGLE, List.of(best.id()), best, 1));
        rows.add(uniform);
        rows.add(greedy);
        otherGreedy.ifPresent(rows::add);
        rows.add(ensemble);
        return rows;
    }

    /** Writes report.md, report.json and figure1.svg into {@code directory}. */
    public void writeTo(Path directory) {
        try {
            Files.createDirectories(directory);
            Files.writeString(directory.resolve(MARKDOWN_FILE), markdown(), StandardCharsets.UTF_8);
            Files.writeString(directory.resolve(JSON_FILE), json(), StandardCharsets.UTF_8);
            Files.writeString(directory.resolve(SVG_FILE), figure(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report into " + directory, e);
        }
    }

    /** The figure-1 chart (figure1.svg): test accuracy against the mean over the shifts. */
    public String figure() {
        return new Figure1Svg(this, Figure1Svg.XAxis.TEST).render();
    }

    public String markdown() {
        StringBuilder md = new StringBuilder();
        int k = models.size();
        int shiftCount = bestSingle().shifts().size();
        md.append("# ").append(title).append("\n\n");
        if (!setup.isEmpty()) {
            for (String line : setup) {
                md.append("- ").append(line).append('\n');
            }
            md.append('\n');
        }
        md.append("## The paper: CLIP ViT-B/32, 72 fine-tunes on ImageNet\n\n");
        md.append("Wortsman et al., 2022, \"Model soups\". Held-out = 2% of ImageNet's training set.\n\n");
        md.append("| model | held-out | ImageNet top-1 | mean of 5 shifts | soup size | forward passes |\n");
        md.append("|---|---:|---:|---:|---:|---:|\n");
        for (PaperRow r : PAPER) {
            md.append("| ").append(r.model()).append(" | ").append(pct(r.heldout())).append(" | ").append(pct(r.test()))
                    .append(" | ").append(pct(r.shifts())).append(" | ").append(r.size()).append(" | ")
                    .append(r.passes()).append(" |\n");
        }
        md.append("\n## This run: ").append(k).append(" fine-tunes\n\n");
        md.append("| model | held-out | test | mean of ").append(shiftCount)
                .append(" shifts | soup size | forward passes | cost vs ensemble |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (SoupScore row : rows()) {
            String name = row.method() == SoupScore.Method.BEST_SINGLE
                    ? row.method().label() + " (" + row.ingredients().get(0) + ")" : row.method().label();
            md.append("| ").append(name).append(" | ").append(pct(row.score().heldout())).append(" | ")
                    .append(pct(row.score().test())).append(" | ").append(pct(row.score().shiftMean())).append(" | ")
                    .append(row.size()).append(" | ").append(row.forwardPasses()).append(" | ")
                    .append(costVersusEnsemble(row)).append(" |\n");
        }
        appendErrorBars(md);
        pretrained.ifPresent(p -> md.append("\nThe shared pre-trained start scores ").append(pct(p.heldout()))
                .append(" held-out, ").append(pct(p.test())).append(" test, ").append(pct(p.shiftMean()))
                .append(" mean of shifts.\n"));
        md.append("\n## What the numbers say\n\n");
        for (String finding : findings()) {
            md.append("- ").append(finding).append('\n');
        }
        md.append("\n## Per distribution shift\n\n");
        List<String> shiftNames = new ArrayList<>(bestSingle().shifts().keySet());
        md.append("| model |");
        shiftNames.forEach(s -> md.append(' ').append(s).append(" |"));
        md.append("\n|---|");
        shiftNames.forEach(s -> md.append("---:|"));
        md.append('\n');
        for (SoupScore row : rows()) {
            md.append("| ").append(row.method().label()).append(" |");
            for (String s : shiftNames) {
                Double v = row.score().shifts().get(s);
                md.append(' ').append(v == null ? "-" : pct(v)).append(" |");
            }
            md.append('\n');
        }
        md.append("\n## Every fine-tune (arrival order)\n\n");
        md.append("| model | held-out | test | mean of shifts | in greedy soup |\n|---|---:|---:|---:|:---:|\n");
        for (ModelScore m : models) {
            md.append("| ").append(m.id()).append(" | ").append(pct(m.heldout())).append(" | ").append(pct(m.test()))
                    .append(" | ").append(pct(m.shiftMean())).append(" | ")
                    .append(greedy.ingredients().contains(m.id()) ? "yes" : "").append(" |\n");
        }
        md.append("\n![held-out/test vs shifts](").append(SVG_FILE).append(")\n");
        return md.toString();
    }

    /**
     * Every method against the best single model on the same images, split by split (held-out,
     * test, then each shift): a paired 95% interval and an exact McNemar test. Splits where either
     * side has no per-image marks are left out.
     */
    public Map<String, PairedComparison> versusBestSingle(SoupScore row) {
        ModelScore best = bestSingle();
        Map<String, PairedComparison> out = new LinkedHashMap<>();
        pair(out, ModelScore.HELD_OUT, ModelScore.HELD_OUT, best, row.score());
        pair(out, ModelScore.TEST, ModelScore.TEST, best, row.score());
        for (String shift : best.shifts().keySet()) {
            pair(out, shift, ModelScore.shiftKey(shift), best, row.score());
        }
        return out;
    }

    private static void pair(Map<String, PairedComparison> out, String name, String key, ModelScore best,
                             ModelScore other) {
        Correctness a = best.marks().get(key);
        Correctness b = other.marks().get(key);
        if (a != null && b != null) {
            out.put(name, a.against(b));
        }
    }

    /** The methods compared with the best single model: every row but the best single itself. */
    private List<SoupScore> compared() {
        return rows().stream().filter(r -> r.method() != SoupScore.Method.BEST_SINGLE).toList();
    }

    private void appendErrorBars(StringBuilder md) {
        List<String> splits = new ArrayList<>();
        splits.add(ModelScore.HELD_OUT);
        splits.add(ModelScore.TEST);
        splits.addAll(bestSingle().shifts().keySet());
        md.append("\n### Is it more than noise? Each method minus the best single model\n\n");
        md.append("Paired over the same images: the difference in points with its 95% interval, and the exact "
                + "McNemar p-value. \"within noise\" means chance alone explains the difference (p >= 0.05). "
                + "The greedy soups were chosen on held-out, so their held-out gain is optimistic; test and the "
                + "shifts are the fair check.\n\n");
        md.append("| method | split | difference [95% interval], verdict (p) |\n|---|---|---|\n");
        for (SoupScore row : compared()) {
            Map<String, PairedComparison> pairs = versusBestSingle(row);
            for (String split : splits) {
                PairedComparison c = pairs.get(split);
                md.append("| ").append(row.method().label()).append(" | ").append(split).append(" | ")
                        .append(c == null ? "no per-image marks, no interval" : c.describe()).append(" |\n");
            }
        }
    }

    /** Plain statements computed from the numbers, favourable or not. */
    public List<String> findings() {
        List<String> out = new ArrayList<>();
        ModelScore best = bestSingle();
        int k = models.size();
        out.add("The greedy soup kept " + greedy.size() + " of " + k + " fine-tunes ("
                + String.join(", ", greedy.ingredients()) + ").");
        out.add(compare("greedy soup", greedy.score(), best) + noise(greedy));
        otherGreedy.ifPresent(o -> out.add(compare(o.method().label() + " (" + o.size() + " kept)", o.score(), best)
                + noise(o)));
        out.add(compare("uniform soup of all " + k, uniform.score(), best) + noise(uniform));
        out.add(compare("ensemble of all " + k, ensemble.score(), best) + noise(ensemble) + " It costs "
                + ensemble.forwardPasses() + " forward passes per image; every soup costs 1.");
        if (greedy.size() == 1) {
            out.add("Greedy kept only the best model: no averaging helped on held-out, so the soup is the best single "
                    + "model (the failure mode of fine-tunes that sit in different basins, or are all alike).");
        }
        return out;
    }

    /** " Held-out: ...; test: ...." from the paired comparisons, or nothing when there are no marks. */
    private String noise(SoupScore row) {
        Map<String, PairedComparison> pairs = versusBestSingle(row);
        List<String> parts = new ArrayList<>();
        PairedComparison heldOut = pairs.get(ModelScore.HELD_OUT);
        PairedComparison test = pairs.get(ModelScore.TEST);
        if (heldOut != null) {
            parts.add("held-out " + heldOut.describe());
        }
        if (test != null) {
            parts.add("test " + test.describe());
        }
        if (parts.isEmpty()) {
            return "";
        }
        boolean allNoise = (heldOut == null || !heldOut.significant()) && (test == null || !test.significant());
        return " Paired over the same images: " + String.join("; ", parts) + "."
                + (allNoise ? " Both are within noise: these splits cannot tell the two apart." : "");
    }

    private static String compare(String what, ModelScore s, ModelScore best) {
        return String.format(Locale.ROOT, "The %s vs the best single model: held-out %s, test %s, mean of shifts %s.",
                what, delta(s.heldout() - best.heldout()), delta(s.test() - best.test()),
                delta(s.shiftMean() - best.shiftMean()));
    }

    private String costVersusEnsemble(SoupScore row) {
        int passes = ensemble.forwardPasses();
        if (row.forwardPasses() == passes) {
            return "1";
        }
        return row.forwardPasses() + "/" + passes;
    }

    public String json() {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("title", title);
        ArrayNode setupNode = root.putArray("setup");
        setup.forEach(setupNode::add);
        root.put("fine_tunes", models.size());
        root.put("best_single", bestSingle().id());
        ObjectNode results = root.putObject("results");
        for (SoupScore row : rows()) {
            ObjectNode r = results.putObject(key(row.method()));
            r.put("label", row.method().label());
            put(r, row.score());
            r.put("soup_size", row.size());
            ArrayNode ing = r.putArray("ingredients");
            row.ingredients().forEach(ing::add);
            r.put("forward_passes", row.forwardPasses());
            r.put("inference_cost_vs_ensemble", (double) row.forwardPasses() / ensemble.forwardPasses());
            if (row.method() != SoupScore.Method.BEST_SINGLE) {
                ObjectNode vs = r.putObject("vs_best_single");
                versusBestSingle(row).forEach((split, c) -> put(vs.putObject(split), c));
            }
        }
        pretrained.ifPresent(p -> put(root.putObject("pretrained"), p));
        ArrayNode modelsNode = root.putArray("models");
        for (ModelScore m : models) {
            ObjectNode n = modelsNode.addObject();
            n.put("id", m.id());
            put(n, m);
            n.put("in_greedy_soup", greedy.ingredients().contains(m.id()));
        }
        ArrayNode paper = root.putArray("paper");
        for (PaperRow p : PAPER) {
            ObjectNode n = paper.addObject();
            n.put("model", p.model());
            n.put("heldout", p.heldout());
            n.put("test", p.test());
            n.put("shift_mean", p.shifts());
        }
        ArrayNode findingsNode = root.putArray("findings");
        findings().forEach(findingsNode::add);
        try {
            return mapper.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void put(ObjectNode n, ModelScore s) {
        n.put("heldout", s.heldout());
        n.put("test", s.test());
        n.put("shift_mean", s.shiftMean());
        ObjectNode shifts = n.putObject("shifts");
        s.shifts().forEach(shifts::put);
    }

    private static void put(ObjectNode n, PairedComparison c) {
        n.put("difference", c.differencePoints());
        n.put("lower", c.lowerPoints());
        n.put("upper", c.upperPoints());
        n.put("p", c.pValue());
        n.put("verdict", c.verdict());
        n.put("images", c.images());
        n.put("only_best_single_right", c.onlyA());
        n.put("only_this_right", c.onlyB());
    }

    static String key(SoupScore.Method m) {
        return m.name().toLowerCase(Locale.ROOT);
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    static String delta(double d) {
        return String.format(Locale.ROOT, "%+.2f", d);
    }

    /** Scores by id, for callers assembling soups from model ids. */
    public Map<String, ModelScore> modelsById() {
        Map<String, ModelScore> out = new LinkedHashMap<>();
        models.forEach(m -> out.put(m.id(), m));
        return out;
    }
}
