package io.souper.evaluator;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.events.SplitMetrics;
import io.souper.scoring.SplitScore;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class ScoringEventsTest {

    @Test
    void theEventCarriesWhichImagesWereRightNextToTheCounts() throws Exception {
        BitSet right = new BitSet();
        right.set(0);
        right.set(7);
        right.set(8);
        right.set(12);
        SplitMetrics m = ScoringEvents.metrics(new SplitScore("held-out", 4, 13, 4 / 13.0, right));
        assertThat(m.getCorrect()).isEqualTo(4);
        byte[] mask = new byte[m.getCorrectMask().remaining()];
        m.getCorrectMask().duplicate().get(mask);
        assertThat(mask).containsExactly(0b1000_0001, 0b0001_0001);
        // and it survives the wire (Avro binary), as the souper and the report read it
        SplitMetrics back = SplitMetrics.fromByteBuffer(m.toByteBuffer());
        assertThat(BitSet.valueOf(back.getCorrectMask())).isEqualTo(right);
    }

    @Test
    void aMetricWithoutAMaskStillReads() {
        SplitMetrics old = SplitMetrics.newBuilder().setSplit("test").setCorrect(1).setTotal(2).setAccuracy(0.5)
                .build();
        assertThat(old.getCorrectMask()).as("older evaluators send none; the default is null").isNull();
    }
}
