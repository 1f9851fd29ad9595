package io.souper.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class SoupReportTest {

    private static Map<String, Double> shifts(double noise, double rotate) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("shift-noise", noise);
        m.put("shift-rotate", rotate);
        return m;
    }

    /** Three models; run-b is best on held-out, run-c ties it but arrived later. */
    static SoupReport sample() {
        ModelScore a = new ModelScore("run-a", 88.00, 87.50, shifts(50, 60));
        ModelScore b = new ModelScore("run-b", 89.00, 88.00, shifts(52, 58));
        ModelScore c = new ModelScore("run-c", 89.00, 87.00, shifts(40, 50));
        SoupScore uniform = new SoupScore(SoupScore.Method.UNIFORM_SOUP, List.of("run-a", "run-b", "run-c"),
                new ModelScore("uniform", 87.00, 86.50, shifts(60, 64)), 1);
        SoupScore greedy = new SoupScore(SoupScore.Method.GREEDY_SORTED, List.of("run-b", "run-a"),
                new ModelScore("greedy", 89.50, 88.25, shifts(56, 62)), 1);
        SoupScore online = new SoupScore(SoupScore.Method.GREEDY_ONLINE, List.of("run-a", "run-b"),
                new ModelScore("online", 89.40, 88.10, shifts(55, 61)), 1);
        SoupScore ensemble = new SoupScore(SoupScore.Method.ENSEMBLE, List.of("run-a", "run-b", "run-c"),
                new ModelScore("ensemble", 89.20, 88.40, shifts(54, 60)), 3);
        return new SoupReport("Souper demo <test>", List.of("3 fine-tunes", "held-out 5,000 images"),
                List.of(a, b, c), Optional.of(new ModelScore("pretrained", 86.0, 85.0, shifts(45, 55))),
                uniform, greedy, Optional.of(online), ensemble);
    }

    @Test
    void bestSingleIsTheBestHeldOutAndTiesGoToTheEarlierArrival() {
        assertThat(sample().bestSingle().id()).isEqualTo("run-b");
    }

    @Test
    void markdownHasThePapersTableAndOneRowPerMethodWithCosts() {
        String md = sample().markdown();
        assertThat(md).contains("| greedy soup | 83.98 | 81.03 | 50.86 | a few | 1 |");
        assertThat(md).contains("| best single model (run-b) | 89.00 | 88.00 | 55.00 | 1 | 1 | 1/3 |");
        assertThat(md).contains("| uniform soup | 87.00 | 86.50 | 62.00 | 3 | 1 | 1/3 |");
        assertThat(md).contains("| greedy soup (sorted) | 89.50 | 88.25 | 59.00 | 2 | 1 | 1/3 |");
        assertThat(md).contains("| greedy soup (online) | 89.40 | 88.10 | 58.00 | 2 | 1 | 1/3 |");
        assertThat(md).contains("| ensemble (logit mean) | 89.20 | 88.40 | 57.00 | 3 | 3 | 1 |");
        assertThat(md).contains("The greedy soup kept 2 of 3 fine-tunes (run-b, run-a).");
        assertThat(md).contains("The greedy soup vs the best single model: held-out +0.50, test +0.25, "
                + "mean of shifts +4.00.");
        assertThat(md).contains("The uniform soup of all 3 vs the best single model: held-out -2.00, test -1.50");
        assertThat(md).contains("| run-a | 88.00 | 87.50 | 55.00 | yes |");
        assertThat(md).contains("| run-c | 89.00 | 87.00 | 45.00 |  |");
        assertThat(md).contains("| ensemble (logit mean) | 54.00 | 60.00 |");
        assertThat(md).contains("The shared pre-trained start scores 86.00 held-out");
    }

    @Test
    void aGreedySoupOfOneIsCalledWhatItIs() {
        SoupReport r = sample();
        SoupReport single = new SoupReport(r.title(), r.setup(), r.models(), r.pretrained(), r.uniform(),
                new SoupScore(SoupScore.Method.GREEDY_SORTED, List.of("run-b"), r.bestSingle(), 1),
                Optional.empty(), r.ensemble());
        assertThat(single.findings()).anyMatch(f -> f.startsWith("Greedy kept only the best model"));
        assertThat(single.markdown()).doesNotContain("greedy soup (online)");
    }

    @Test
    void jsonCarriesEveryRowWithSizesCostsAndIngredients() throws Exception {
        JsonNode j = new ObjectMapper().readTree(sample().json());
        assertThat(j.path("fine_tunes").asInt()).isEqualTo(3);
        assertThat(j.path("best_single").asText()).isEqualTo("run-b");
        JsonNode results = j.path("results");
        assertThat(results.fieldNames()).toIterable().containsExactly("best_single", "uniform_soup", "greedy_sorted",
                "greedy_online", "ensemble");
        assertThat(results.path("greedy_sorted").path("heldout").asDouble()).isEqualTo(89.50);
        assertThat(results.path("greedy_sorted").path("shift_mean").asDouble()).isEqualTo(59.0);
        assertThat(results.path("greedy_sorted").path("soup_size").asInt()).isEqualTo(2);
        assertThat(results.path("greedy_sorted").path("ingredients").toString()).isEqualTo("[\"run-b\",\"run-a\"]");
        assertThat(results.path("greedy_sorted").path("inference_cost_vs_ensemble").asDouble()).isEqualTo(1.0 / 3);
        assertThat(results.path("ensemble").path("forward_passes").asInt()).isEqualTo(3);
        assertThat(results.path("ensemble").path("shifts").path("shift-rotate").asDouble()).isEqualTo(60.0);
        assertThat(j.path("models")).hasSize(3);
        assertThat(j.path("models").get(0).path("in_greedy_soup").asBoolean()).isTrue();
        assertThat(j.path("models").get(2).path("in_greedy_soup").asBoolean()).isFalse();
        assertThat(j.path("pretrained").path("test").asDouble()).isEqualTo(85.0);
        assertThat(j.path("paper")).hasSize(4);
    }

    @Test
    void svgIsWellFormedWithAPointPerModelAndEveryCombinedModelMarked() throws Exception {
        String svg = new Figure1Svg(sample(), Figure1Svg.XAxis.TEST).render();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(count(svg, "class=\"model\"")).isEqualTo(3);
        assertThat(svg).contains("data-id=\"run-a\"", "data-id=\"run-b\"", "data-id=\"run-c\"");
        assertThat(count(svg, "class=\"uniform-soup\"")).isEqualTo(1);
        assertThat(count(svg, "class=\"greedy-sorted\"")).isEqualTo(1);
        assertThat(count(svg, "class=\"greedy-online\"")).isEqualTo(1);
        assertThat(count(svg, "class=\"ensemble\"")).isEqualTo(1);
        assertThat(count(svg, "class=\"best-single\"")).isEqualTo(1);
        assertThat(count(svg, "class=\"pretrained\"")).isEqualTo(1);
        assertThat(svg).contains("test accuracy (%)", "mean accuracy over 2 distribution shifts (%)");
        assertThat(svg).contains("Souper demo &lt;test&gt;");
        assertThat(count(svg, "class=\"tick-label\"")).isGreaterThanOrEqualTo(6);
    }

    @Test
    void pointsLandWhereTheirAccuraciesSay() {
        String svg = new Figure1Svg(sample(), Figure1Svg.XAxis.TEST).render();
        // run-b (test 88.00) lies right of run-a (87.50); run-a (shifts 55) lies above run-c (45).
        double[] a = centre(svg, "run-a");
        double[] b = centre(svg, "run-b");
        double[] c = centre(svg, "run-c");
        assertThat(b[0]).isGreaterThan(a[0]);
        assertThat(a[1]).isLessThan(c[1]); // SVG y grows downwards
        String heldout = new Figure1Svg(sample(), Figure1Svg.XAxis.HELDOUT).render();
        assertThat(centre(heldout, "run-c")[0]).isEqualTo(centre(heldout, "run-b")[0]); // equal held-out
        assertThat(heldout).contains("held-out accuracy (%)");
    }

    @Test
    void niceTicksCoverTheDataInStepsOfOneTwoOrFive() {
        Figure1Svg.Axis axis = Figure1Svg.Axis.around(new double[] {87.1, 89.6});
        assertThat(axis.lo()).isLessThanOrEqualTo(87.1);
        assertThat(axis.hi()).isGreaterThanOrEqualTo(89.6);
        assertThat(axis.step()).isIn(0.5, 1.0);
        assertThat(Figure1Svg.Axis.niceStep(0.37)).isEqualTo(0.5);
        assertThat(Figure1Svg.Axis.niceStep(1.3)).isEqualTo(2.0);
        assertThat(Figure1Svg.Axis.niceStep(30)).isEqualTo(50.0);
    }

    @Test
    void writesTheThreeFiles(@TempDir Path dir) throws Exception {
        sample().writeTo(dir.resolve("out"));
        assertThat(Files.readString(dir.resolve("out/report.md"))).startsWith("# Souper demo <test>");
        assertThat(new ObjectMapper().readTree(dir.resolve("out/report.json").toFile()).path("title").asText())
                .isEqualTo("Souper demo <test>");
        assertThat(Files.readString(dir.resolve("out/figure1.svg"))).startsWith("<svg");
    }

    @Test
    void badScoresAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new ModelScore("run-x", 101, 50, Map.of()))
                .hasMessageContaining("run-x").hasMessageContaining("held-out");
        assertThatThrownBy(() -> new SoupScore(SoupScore.Method.ENSEMBLE, List.of(), sample().bestSingle(), 3))
                .hasMessageContaining("ENSEMBLE");
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static double[] centre(String svg, String id) {
        Matcher m = Pattern.compile("data-id=\"" + id + "\" cx=\"([0-9.]+)\" cy=\"([0-9.]+)\"").matcher(svg);
        assertThat(m.find()).as("point of " + id).isTrue();
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    /** A's and B's marks over {@code images}: both right on the first {@code common}, then A alone, then B alone. */
    private static io.souper.report.Correctness[] paired(int images, int common, int onlyA, int onlyB) {
        java.util.BitSet a = new java.util.BitSet();
        java.util.BitSet b = new java.util.BitSet();
        a.set(0, common + onlyA);
        b.set(0, common);
        b.set(common + onlyA, common + onlyA + onlyB);
        return new io.souper.report.Correctness[] {new io.souper.report.Correctness(images, a),
                new io.souper.report.Correctness(images, b)};
    }

    /**
     * The sample with per-image marks: greedy vs best single is +0.50 held-out (10 vs 15 discordant
     * of 1,000: within noise), +3.50 test (5 vs 40: beyond), -1.80 on shift-noise (12 vs 3 of 500:
     * worse, p = 0.035). Expected values from the closed forms, computed independently in Python.
     */
    static SoupReport withMarks() {
        SoupReport r = sample();
        var heldOut = paired(1000, 880, 10, 15);
        var test = paired(1000, 840, 5, 40);
        var noise = paired(500, 250, 12, 3);
        ModelScore best = r.bestSingle();
        Map<String, io.souper.report.Correctness> bestMarks = Map.of(ModelScore.HELD_OUT, heldOut[0],
                ModelScore.TEST, test[0], ModelScore.shiftKey("shift-noise"), noise[0]);
        Map<String, io.souper.report.Correctness> greedyMarks = Map.of(ModelScore.HELD_OUT, heldOut[1],
                ModelScore.TEST, test[1], ModelScore.shiftKey("shift-noise"), noise[1]);
        List<ModelScore> models = r.models().stream().map(m -> m.id().equals(best.id())
                ? new ModelScore(m.id(), m.heldout(), m.test(), m.shifts(), bestMarks) : m).toList();
        ModelScore g = r.greedy().score();
        SoupScore greedy = new SoupScore(SoupScore.Method.GREEDY_SORTED, r.greedy().ingredients(),
                new ModelScore(g.id(), g.heldout(), g.test(), g.shifts(), greedyMarks), 1);
        return new SoupReport(r.title(), r.setup(), models, r.pretrained(), r.uniform(), greedy, r.otherGreedy(),
                r.ensemble());
    }

    @Test
    void everyComparisonCarriesAPairedIntervalAndAVerdictInWords() {
        String md = withMarks().markdown();
        assertThat(md).contains("| greedy soup (sorted) | held-out | +0.50 points [-0.48, +1.48], within noise "
                + "(p = 0.424) |");
        assertThat(md).contains("| greedy soup (sorted) | test | +3.50 points [+2.20, +4.80], better beyond noise "
                + "(p < 0.001) |");
        assertThat(md).contains("| greedy soup (sorted) | shift-noise | -1.80 points [-3.31, -0.29], worse beyond "
                + "noise (p = 0.035) |");
        assertThat(md).contains("| uniform soup | held-out | no per-image marks, no interval |");
        assertThat(md).contains("The greedy soup vs the best single model: held-out +0.50, test +0.25, "
                + "mean of shifts +4.00. Paired over the same images: held-out +0.50 points [-0.48, +1.48], "
                + "within noise (p = 0.424); test +3.50 points");
        assertThat(md).as("the paper's table stays beside the run's")
                .contains("| greedy soup | 83.98 | 81.03 | 50.86 | a few | 1 |");
    }

    @Test
    void aDifferenceInsideTheNoiseOnEverySplitIsSaidPlainly() {
        SoupReport r = withMarks();
        var same = paired(1000, 880, 10, 15);
        ModelScore g = r.greedy().score();
        SoupScore greedy = new SoupScore(SoupScore.Method.GREEDY_SORTED, r.greedy().ingredients(),
                new ModelScore(g.id(), g.heldout(), g.test(), g.shifts(),
                        Map.of(ModelScore.HELD_OUT, same[1], ModelScore.TEST, same[1])), 1);
        List<ModelScore> models = r.models().stream().map(m -> m.id().equals("run-b") ? new ModelScore(m.id(),
                m.heldout(), m.test(), m.shifts(), Map.of(ModelScore.HELD_OUT, same[0], ModelScore.TEST, same[0]))
                : m).toList();
        SoupReport noisy = new SoupReport(r.title(), r.setup(), models, r.pretrained(), r.uniform(), greedy,
                Optional.empty(), r.ensemble());
        assertThat(noisy.findings()).anyMatch(f -> f.startsWith("The greedy soup vs the best single model")
                && f.endsWith("Both are within noise: these splits cannot tell the two apart."));
    }

    @Test
    void jsonCarriesTheComparisonsAsNumbers() throws Exception {
        JsonNode vs = new ObjectMapper().readTree(withMarks().json()).get("results").get("greedy_sorted")
                .get("vs_best_single");
        JsonNode heldOut = vs.get("held-out");
        assertThat(heldOut.get("difference").asDouble()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(heldOut.get("lower").asDouble()).isCloseTo(-0.4795, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(heldOut.get("upper").asDouble()).isCloseTo(1.4795, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(heldOut.get("p").asDouble()).isCloseTo(0.424356, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(heldOut.get("verdict").asText()).isEqualTo("within noise");
        assertThat(vs.get("test").get("verdict").asText()).isEqualTo("better beyond noise");
        assertThat(vs.get("shift-noise").get("p").asDouble()).isCloseTo(0.035156, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(new ObjectMapper().readTree(withMarks().json()).get("results").get("best_single")
                .has("vs_best_single")).isFalse();
    }
}
