package io.souper.demo;

import io.souper.events.AcceptRule;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's soups: the same checkpoints souped by the paper's sorted greedy policy and by
 * the online policy, sharing the architecture and the data. The baselines (each run alone,
 * uniform soup, ensemble) are report requests under the sorted soup, not a soup of their own.
 */
public final class DemoSoups {
    public static final String SORTED = "demo-sorted";
    public static final String ONLINE = "demo-online";

    public static final List<String> SOUPED = List.of(SORTED, ONLINE);

    private DemoSoups() {
    }

    public static List<SoupDefinition> definitions(URI architecture, SplitFiles splits) {
        return List.of(
                definition(SORTED, SoupPolicy.SORTED, architecture, splits, "paper-exact greedy soup"),
                definition(ONLINE, SoupPolicy.ONLINE, architecture, splits, "online greedy soup"));
    }

    private static SoupDefinition definition(String id, SoupPolicy policy, URI architecture, SplitFiles splits,
                                             String description) {
        Map<String, String> shifts = new LinkedHashMap<>();
        for (String name : splits.shiftNames()) {
            shifts.put(name, splits.uri(name).toString());
        }
        return SoupDefinition.newBuilder()
                .setSoupId(id)
                .setArchitectureUri(architecture.toString())
                .setHeldOutUri(splits.uri(SplitFiles.HELDOUT).toString())
                .setTestUri(splits.uri(SplitFiles.TEST).toString())
                .setShiftUris(shifts)
                .setPolicy(policy)
                .setAcceptRule(AcceptRule.GREATER)
                .setDescription("Souper demo: " + description)
                .setCreatedAt(Instant.now())
                .build();
    }
}
