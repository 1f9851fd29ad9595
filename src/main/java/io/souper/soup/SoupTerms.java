package io.souper.soup;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a soup's scores and decisions mean, fixed for the soup's life: the policy and accept rule
 * that decide, the metric that ranks, and the architecture, held-out data and inputs every deciding score is taken with. A
 * redefinition (a later definition under the same soup id) may change anything else (the
 * description, the test and shift splits, which are reported but never decide); one that changes
 * a term is refused, since scores taken on other data or another network would be compared with the
 * soup's. The souper and the evaluator both apply this one rule, so the evaluator never scores with
 * a definition the souper refused. To change a term, define a new soup id (or delete the soup first).
 *
 * @param policy          the policy's name ({@code SORTED}, {@code ONLINE})
 * @param acceptRule      the accept rule's name ({@code GREATER}, {@code GREATER_OR_EQUAL})
 * @param architectureUri the network every checkpoint is loaded into
 * @param heldOutUri      the split every decision is taken on
 * @param metric          the metric that ranks ({@code ACCURACY}, {@code PERPLEXITY}, ...)
 * @param inputs          how the held-out split is fed to the network (input tensor names, ignore index)
 */
public record SoupTerms(String policy, String acceptRule, String architectureUri, String heldOutUri, String metric,
                        String inputs) {

    /**
     * Why {@code next} may not replace these terms (a sentence naming every term it changes, old and
     * new value), or empty when it may.
     */
    public Optional<String> refusal(SoupTerms next) {
        List<String> changes = new ArrayList<>();
        change(changes, "policy", policy, next.policy);
        change(changes, "accept rule", acceptRule, next.acceptRule);
        change(changes, "architecture", architectureUri, next.architectureUri);
        change(changes, "held-out data", heldOutUri, next.heldOutUri);
        change(changes, "metric", metric, next.metric);
        change(changes, "inputs", inputs, next.inputs);
        if (changes.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("a redefinition cannot change " + String.join(", ", changes) + ": the soup's scores "
                + "would no longer be comparable (define a new soup id instead)");
    }

    private static void change(List<String> changes, String what, String from, String to) {
        if (!Objects.equals(from, to)) {
            changes.add(what + " (" + from + " -> " + to + ")");
        }
    }
}
