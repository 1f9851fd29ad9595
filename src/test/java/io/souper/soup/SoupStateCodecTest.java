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
        assertThat(json).startsWith("{\"format\":1,");
    }

    @Test
    void anUnknownFormatOrGarbageIsRefusedClearly() {
        String future = new String(SoupState.create("s", Policy.ONLINE, Acceptance.GREATER).encode(),
                StandardCharsets.UTF_8).replace("\"format\":1", "\"format\":2");
        assertThatThrownBy(() -> SoupState.decode(future.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format 2");
        assertThatThrownBy(() -> SoupState.decode("{\"soupId\":\"s\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no format version");
        assertThatThrownBy(() -> SoupState.decode(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("corrupt");
        assertThatThrownBy(() -> SoupState.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
