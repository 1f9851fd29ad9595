package io.souper.soup;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the core refuses as impossible input is an {@link InvalidSoupInputException} (which an adapter
 * dead-letters); what is a caller's bug is not, so an adapter catching the one never hides the other.
 */
class InvalidSoupInputTest {

    @Test
    void impossibleAccuraciesAndBlankIdsAreInvalidInput() {
        assertThatThrownBy(() -> new Accuracy(11, 10)).isInstanceOf(InvalidSoupInputException.class)
                .hasMessageContaining("within [0, 10], got 11");
        assertThatThrownBy(() -> new Accuracy(0, 0)).isInstanceOf(InvalidSoupInputException.class)
                .hasMessageContaining("total must be positive");
        assertThatThrownBy(() -> new CheckpointScored(" ", "file:///c", null, null, Map.of(), new Accuracy(1, 2), null))
                .isInstanceOf(InvalidSoupInputException.class).hasMessageContaining("checkpointId must not be blank");
        assertThatThrownBy(() -> new CandidateScored("s#1", 1, Set.of("a"), null))
                .isInstanceOf(InvalidSoupInputException.class).hasMessageContaining("held-out accuracy of s#1");
    }

    @Test
    void aSoupIdThatWouldMakeRequestIdsAmbiguousIsInvalidInput() {
        assertThatThrownBy(() -> SoupState.create("a#b", Policy.SORTED, Acceptance.GREATER))
                .isInstanceOf(InvalidSoupInputException.class).hasMessageContaining("'#'");
    }

    @Test
    void aNullStateOrInputIsTheCallersBugNotInvalidInput() {
        SoupState soup = SoupState.create("s", Policy.SORTED, Acceptance.GREATER);
        assertThatThrownBy(() -> Souper.step(soup, null, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Souper.step(null, new CheckpointFailed("c", "E", "m"), 0))
                .isInstanceOf(NullPointerException.class);
    }
}
