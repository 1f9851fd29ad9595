package io.souper.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class SplitScoreTest {

    @Test
    void theMaskIsLittleEndianAndPaddedToEveryImage() {
        BitSet right = new BitSet();
        right.set(0);
        right.set(9);
        // 20 images, the last 10 wrong: still ceil(20 / 8) = 3 bytes
        SplitScore score = new SplitScore("test", 2, 20, 0.1, right);
        assertThat(score.rightAsBytes()).containsExactly(0b0000_0001, 0b0000_0010, 0);
        assertThat(BitSet.valueOf(score.rightAsBytes())).isEqualTo(right);
    }

    @Test
    void marksThatDisagreeWithTheCountAreRefused() {
        BitSet right = new BitSet();
        right.set(3);
        assertThatThrownBy(() -> new SplitScore("test", 2, 20, 0.1, right))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly the 2 right of 20");
        right.set(25);
        assertThatThrownBy(() -> new SplitScore("test", 2, 20, 0.1, right))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
