package io.souper.soup;

import static io.souper.soup.Fixtures.NOW;
import static io.souper.soup.Fixtures.answer;
import static io.souper.soup.Fixtures.ck;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SoupStateCodecTest {

    @Test
    void aMidRunStateRoundTripsAndContinuesIdentically() {
        SoupState s = SoupState.create("s", Policy.SORTED, Acceptance.GREATER_OR_EQUAL);
        Souper.step(s, ck("a", 900), NOW);
        Souper.step(s, answer(Souper.step(s, ck("b", 800), NOW).request().orElseThrow(), 920), NOW);
        Souper.step(s, new CheckpointFailed("x", "BAD_HEADER", "not safetensors"), NOW);
        Souper.step(s, new CandidateScored("s#42", 0, java.util.Set.of("a"), Fixtures.acc(1)), NOW); // ignored
        CandidateRequest pending = Souper.step(s, ck("c", 850), NOW).request().orElseThrow();

        byte[] bytes = s.encode();
        SoupState copy = SoupState.decode(bytes);

        assertThat(copy.encode()).isEqualTo(bytes);
        assertThat(copy.requestInFlight()).contains(pending);
        assertThat(copy.tally()).isEqualTo(s.tally());
        assertThat(copy.ignoredCount(Ignored.UNKNOWN_REQUEST)).isEqualTo(1);
        assertThat(copy.lastDecision()).isEqualTo(s.lastDecision());
        assertThat(Souper.step(copy, answer(pending, 930), NOW + 1))
                .isEqualTo(Souper.step(s, answer(pending, 930), NOW + 1));
        assertThat(copy.encode()).isEqualTo(s.encode());
    }

    @Test
    void theEncodingIsVersionedJson() {
        String json = new String(SoupState.create("s", Policy.ONLINE, Acceptance.GREATER).encode(),
                StandardCharsets.UTF_8);
        assertThat(json).startsWith("{\"format\":3,");
    }

    @Test
    void anUnknownFormatOrGarbageIsRefusedClearly() {
        String future = new String(SoupState.create("s", Policy.ONLINE, Acceptance.GREATER).encode(),
                StandardCharsets.UTF_8).replace("\"format\":3", "\"format\":4");
        assertThatThrownBy(() -> SoupState.decode(future.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format 4");
        assertThatThrownBy(() -> SoupState.decode("{\"soupId\":\"s\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no format version");
        assertThatThrownBy(() -> SoupState.decode(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("corrupt");
        assertThatThrownBy(() -> SoupState.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    /** A state written by the format-1 build (before retriable failures) as RocksDB may still hold it. */
    @Test
    void aFormatOneStateStillReadsAndContinues() {
        String v1 = "{\"format\":1,\"soupId\":\"s\",\"policy\":\"SORTED\",\"acceptance\":\"GREATER\","
                + "\"version\":1,\"decisionSequence\":2,\"requestsIssued\":1,\"retriesQueued\":0,"
                + "\"checkpoints\":[" + checkpointJson("a", 900) + "," + checkpointJson("b", 800) + "],"
                + "\"failed\":[{\"checkpointId\":\"x\",\"errorCode\":\"HASH_MISMATCH\",\"message\":\"sha differs\"}],"
                + "\"memo\":[],"
                + "\"inFlight\":{\"request\":{\"requestId\":\"s#1\",\"soupId\":\"s\",\"baseVersion\":1,"
                + "\"ingredients\":[{\"checkpointId\":\"a\",\"uri\":\"file:///store/a.safetensors\",\"sha256\":\"" + SHA
                + "\"},{\"checkpointId\":\"b\",\"uri\":\"file:///store/b.safetensors\",\"sha256\":\"" + SHA
                + "\"}],\"triedCheckpointId\":\"b\",\"requestedAtMillis\":5},\"superseded\":false},"
                + "\"tally\":{\"scored\":2,\"accepted\":1,\"rejected\":0,\"pending\":1,\"failed\":1}}";

        SoupState s = SoupState.decode(v1.getBytes(StandardCharsets.UTF_8));

        assertThat(s.tally()).isEqualTo(new Tally(2, 1, 0, 1, 1));
        CandidateRequest inFlight = s.requestInFlight().orElseThrow();
        assertThat(inFlight.requestId()).isEqualTo("s#1");
        // the in-flight request read as never having failed: a retriable failure is asked again
        SoupStep retried = Souper.step(s, new CandidateFailed("s#1", 1, java.util.Set.of("a", "b"), "IO_ERROR",
                "store did not answer", true), NOW);
        assertThat(retried.request().orElseThrow().requestId()).isEqualTo("s#2");
        // the failed checkpoint read as not retriable, and it is not settled: published again, it is scored
        assertThat(Souper.step(s, new CheckpointFailed("x", "HASH_MISMATCH", "sha differs"), NOW).ignored())
                .contains(Ignored.DUPLICATE_CHECKPOINT);
        Souper.step(s, ck("x", 950), NOW);
        assertThat(s.tally().failed()).isZero();
        assertThat(new String(s.encode(), StandardCharsets.UTF_8)).startsWith("{\"format\":3,");
    }

    private static final String SHA = "0".repeat(64);

    private static String checkpointJson(String id, long correct) {
        return "{\"checkpointId\":\"" + id + "\",\"uri\":\"file:///store/" + id + ".safetensors\",\"sha256\":\""
                + SHA + "\",\"runId\":\"run-" + id + "\",\"hyperParameters\":{},"
                + "\"heldOut\":{\"correct\":" + correct + ",\"total\":1000}}";
    }
}
