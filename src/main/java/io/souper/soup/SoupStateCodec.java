package io.souper.soup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state as versioned JSON. A snapshot record mirrors the state's fields so that the stored
 * format is explicit and does not move when the in-memory structures do; bump {@link #FORMAT} (and
 * keep reading the old one) when it changes.
 *
 * <p>Format 2 added {@code retriable} to failed checkpoints and {@code retriableFailures} to the
 * request in flight; a format-1 state reads with both absent, i.e. false and 0, which is what they meant.
 * Format 3 added the soup's {@code metric} (its {@link Objective}) and the scores' other metrics; a
 * format-2 state reads without them, i.e. a soup by top-1 accuracy, which is what every soup was.
 */
final class SoupStateCodec {

    static final int FORMAT = 3;
    /** Formats this build reads: every additive change so far has defaults for what older ones lack. */
    private static final int OLDEST_READABLE = 1;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private SoupStateCodec() {
    }

    /** Checkpoints are listed in arrival order: their index is their arrival number. */
    record Snapshot(int format, String soupId, Policy policy, Acceptance acceptance, Objective metric, long version,
                    long decisionSequence, long requestsIssued, long retriesQueued,
                    List<CheckpointScored> checkpoints, List<CheckpointFailed> failed, List<Memo.Entry> memo,
                    InFlight inFlight, PublishedSoup published, Decision lastDecision, Tally tally,
                    Map<String, Verdict> verdicts, List<QueuedCheckpoint> queue, Map<Ignored, Long> ignored) {
    }

    static byte[] encode(SoupState s) {
        Snapshot snapshot = new Snapshot(FORMAT, s.soupId, s.policy, s.acceptance, s.objective, s.version, s.decisionSequence,
                s.requestsIssued, s.retriesQueued, s.checkpoints, List.copyOf(s.failed.values()), s.memo.entries(),
                s.inFlight, s.published, s.lastDecision, s.tally, new TreeMap<>(s.verdicts), List.copyOf(s.queue),
                s.ignored);
        try {
            return JSON.writeValueAsBytes(snapshot);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode state of soup " + s.soupId, e);
        }
    }

    static SoupState decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("soup state: no bytes to decode");
        }
        Snapshot snap;
        try {
            JsonNode tree = JSON.readTree(bytes);
            JsonNode format = tree == null ? null : tree.get("format");
            if (format == null || !format.canConvertToInt()) {
                throw new IllegalArgumentException("soup state: no format version (not a soup state?)");
            }
            if (format.intValue() < OLDEST_READABLE || format.intValue() > FORMAT) {
                throw new IllegalArgumentException("soup state: format " + format.intValue()
                        + " is not readable by this build (reads formats " + OLDEST_READABLE + " to " + FORMAT + ")");
            }
            if (format.intValue() == 1) {
                upgradeFromFormat1((ObjectNode) tree);
            }
            snap = JSON.treeToValue(tree, Snapshot.class);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage().startsWith("soup state:")) {
                throw iae;
            }
            throw new IllegalArgumentException("soup state: corrupt or unreadable: " + e.getMessage(), e);
        }
        return restore(snap);
    }

    /** Format 1 knew no retriable failures: every failure was final and no request had failed before. */
    private static void upgradeFromFormat1(ObjectNode tree) {
        JsonNode failed = tree.get("failed");
        if (failed != null && failed.isArray()) {
            failed.forEach(f -> {
                if (f instanceof ObjectNode o && !o.has("retriable")) {
                    o.put("retriable", false);
                }
            });
        }
        if (tree.get("inFlight") instanceof ObjectNode inFlight && !inFlight.has("retriableFailures")) {
            inFlight.put("retriableFailures", 0);
        }
    }

    private static SoupState restore(Snapshot snap) {
        SoupState s = new SoupState(snap.soupId(), snap.policy(), snap.acceptance(),
                snap.metric() == null ? Objective.ACCURACY : snap.metric());
        s.version = snap.version();
        s.decisionSequence = snap.decisionSequence();
        s.requestsIssued = snap.requestsIssued();
        s.retriesQueued = snap.retriesQueued();
        orEmpty(snap.checkpoints()).forEach(s::addCheckpoint);
        orEmpty(snap.failed()).forEach(f -> s.failed.put(f.checkpointId(), f));
        orEmpty(snap.memo()).forEach(e -> s.memo.put(Memo.bits(e.set()), e.outcome()));
        s.inFlight = snap.inFlight();
        s.published = snap.published() == null ? PublishedSoup.EMPTY : snap.published();
        s.lastDecision = snap.lastDecision();
        s.tally = snap.tally() == null ? Tally.EMPTY : snap.tally();
        if (snap.verdicts() != null) {
            s.verdicts.putAll(snap.verdicts());
        }
        s.queue.addAll(orEmpty(snap.queue()));
        if (snap.ignored() != null) {
            s.ignored.putAll(snap.ignored());
        }
        return s;
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
