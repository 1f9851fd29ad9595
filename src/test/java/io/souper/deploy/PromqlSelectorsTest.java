package io.souper.deploy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The selector extraction the Prometheus-backed test relies on: it must miss no series name. */
class PromqlSelectorsTest {

    @Test
    void findsEverySelectorAndNoFunctionLabelListOrNumber() {
        assertThat(PromqlSelectors.of("histogram_quantile(0.95, sum by (le, kind) "
                + "(rate(souper_evaluation_duration_seconds_bucket{instance=~\".*\"}[30s])))"))
                .containsExactly("souper_evaluation_duration_seconds_bucket{instance=~\".*\"}");
        assertThat(PromqlSelectors.of("sum(rate(a_total{outcome=\"failed\"}[15m]))\n"
                + "  / clamp_min(sum(rate(a_total[15m])), 1e-9) > 0.25"))
                .containsExactly("a_total{outcome=\"failed\"}", "a_total");
        assertThat(PromqlSelectors.of("max(lag{topic=\"souper.checkpoints\"}) > 0 and on() "
                + "(sum(increase(ev_total[20m])) or vector(0)) == 0"))
                .containsExactly("lag{topic=\"souper.checkpoints\"}", "ev_total");
        assertThat(PromqlSelectors.of("up{job=\"souper-evaluator\"} == 0")).containsExactly("up{job=\"souper-evaluator\"}");
        assertThat(PromqlSelectors.of("max by (instance, state) (souper_streams_state) == 1"))
                .containsExactly("souper_streams_state");
    }

    @Test
    void nameIsWhatPrecedesTheMatchers() {
        assertThat(PromqlSelectors.name("up{job=\"x\"}")).isEqualTo("up");
        assertThat(PromqlSelectors.name("up")).isEqualTo("up");
    }
}
