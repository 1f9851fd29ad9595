package io.souper.demo;

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

class DemoReportTest {

    private static Map<String, Double> shifts(double noise, double rotate) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("shift-noise", noise);
        m.put("shift-rotate", rotate);
        return m;
    }

    /** Three models; run-b is best on held-out, run-c ties it but arrived later. */
    static DemoReport sample() {
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
        return new DemoReport("Souper demo <test>", List.of("3 fine-tunes", "held-out 5,000 images"),
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
        DemoReport r = sample();
        DemoReport single = new DemoReport(r.title(), r.setup(), r.models(), r.pretrained(), r.uniform(),
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
}
