package io.souper.soup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SoupTermsTest {

    private static final SoupTerms TERMS = new SoupTerms("SORTED", "GREATER", "file:///m/cnn.pt",
            "file:///d?split=train&from=0&to=5000", "ACCURACY", "inputs []");

    @Test
    void theSameTermsMayBeDefinedAgain() {
        assertThat(TERMS.refusal(new SoupTerms("SORTED", "GREATER", "file:///m/cnn.pt",
                "file:///d?split=train&from=0&to=5000", "ACCURACY", "inputs []"))).isEmpty();
    }

    @Test
    void everyTermThatChangesIsNamedWithItsOldAndNewValue() {
        assertThat(TERMS.refusal(new SoupTerms("SORTED", "GREATER", "file:///m/cnn.pt",
                "file:///d?split=train&from=0&to=4000", "ACCURACY", "inputs []"))).hasValueSatisfying(reason -> assertThat(reason)
                .contains("held-out data (file:///d?split=train&from=0&to=5000 -> file:///d?split=train&from=0&to=4000)")
                .doesNotContain("policy").doesNotContain("architecture"));
        assertThat(TERMS.refusal(new SoupTerms("ONLINE", "GREATER_OR_EQUAL", "file:///m/other.pt",
                TERMS.heldOutUri(), "PERPLEXITY", "inputs [input_ids]"))).hasValueSatisfying(reason -> assertThat(reason)
                .contains("policy (SORTED -> ONLINE)", "accept rule (GREATER -> GREATER_OR_EQUAL)",
                        "metric (ACCURACY -> PERPLEXITY)", "inputs (inputs [] -> inputs [input_ids])",
                        "architecture (file:///m/cnn.pt -> file:///m/other.pt)", "define a new soup id"));
    }
}
