package io.souper.web;

import io.souper.metrics.SouperMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web page in a real headless Chromium: it must render the soups the query API
 * returns. The API is a fixed double here; the page is what is under test.
 */
class SoupPageBrowserTest {

    private static final String SOUPS = """
            [{"soupId":"sweep-1","policy":"SORTED","version":3,"ingredients":["run-2","run-7"],
              "heldOutAccuracy":0.875,"counts":{"scored":5,"accepted":2,"rejected":3,"pending":0,"failed":1},
              "inFlight":null}]""";
    private static final String SOUP = """
            {"soupId":"sweep-1","soup":{"lastDecision":{"kind":"ACCEPTED","checkpointId":"run-7"}}}""";

    @TempDir
    Path profile;

    @Test
    void rendersEverySoupWithItsAccuracyIngredientsAndLastDecision() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics)) {
            new SoupPage().register(endpoint);
            endpoint.route("/soups", exchange -> HttpEndpoint.respond(exchange, 200, "application/json",
                    exchange.getRequestURI().getPath().equals("/soups") ? SOUPS : SOUP));
            endpoint.start();

            String dom = chromiumDom(endpoint.url() + "/");
            assertThat(dom).contains("<tr data-soup=\"sweep-1\">");
            assertThat(dom).contains("87.50%");
            assertThat(dom).contains("run-2, run-7");
            assertThat(dom).contains("ACCEPTED run-7");
            assertThat(dom).contains("<div id=\"error\"></div>");
        }
    }

    private String chromiumDom(String url) throws IOException, InterruptedException {
        List<String> command = List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom", url);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError("chromium is missing: run scripts/install-deps.sh (package chromium)", e);
        }
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return dom;
    }
}
