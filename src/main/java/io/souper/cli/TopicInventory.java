package io.souper.cli;

import io.souper.kafka.TopicNames;
import io.souper.kafka.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * What a cluster really has, set against Souper's topic specs: each Souper topic is present, has the
 * partition count all of them share (their co-partitioning is what keeps a soup on one stream task)
 * and the cleanup.policy its spec needs (a non-compacted definitions topic loses soups).
 */
record TopicInventory(List<String> lines, boolean matches) {

    /** @param partitions the count Souper's topics must have, or null: the count they share */
    static TopicInventory read(Admin admin, Integer partitions) {
        try {
            Set<String> names = new TreeSet<>(admin.listTopics().names().get());
            List<String> present = TopicNames.names().stream().filter(names::contains).toList();
            Map<String, TopicDescription> described = admin.describeTopics(present).allTopicNames().get();
            Map<ConfigResource, Config> configs = admin.describeConfigs(present.stream()
                    .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList()).all().get();
            Integer expected = partitions != null ? partitions : sharedCount(described);
            List<String> lines = new ArrayList<>();
            boolean matches = true;
            for (TopicSpec spec : TopicNames.all(expected == null ? 1 : expected)) {
                String wantedPolicy = spec.configs().get("cleanup.policy");
                if (!described.containsKey(spec.name())) {
                    lines.add(String.format("%-20s MISSING   (wanted %s, cleanup.policy=%s)", spec.name(),
                            expected == null ? "partitions like the others" : expected + " partitions", wantedPolicy));
                    matches = false;
                    continue;
                }
                int actualPartitions = described.get(spec.name()).partitions().size();
                ConfigEntry policyEntry = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()))
                        .get("cleanup.policy");
                String actualPolicy = policyEntry == null ? "delete" : policyEntry.value();
                List<String> problems = new ArrayList<>();
                if (expected != null && actualPartitions != expected) {
                    problems.add(actualPartitions + " partitions, wanted " + expected);
                }
                if (expected == null) {
                    problems.add("partition counts differ between Souper's topics");
                }
                if (!actualPolicy.equals(wantedPolicy)) {
                    problems.add("cleanup.policy=" + actualPolicy + ", wanted " + wantedPolicy);
                }
                lines.add(String.format("%-20s %-9s %d partitions, cleanup.policy=%s%s", spec.name(),
                        problems.isEmpty() ? "ok" : "DIFFERENT", actualPartitions, actualPolicy,
                        problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")"));
                matches &= problems.isEmpty();
            }
            Set<String> souper = Set.copyOf(TopicNames.names());
            String others = names.stream().filter(n -> !souper.contains(n)).collect(Collectors.joining(", "));
            lines.add("other topics: " + (others.isEmpty() ? "(none)" : others));
            if (!matches) {
                lines.add("Souper's topics do not match their specs; `souper topics create` adds missing ones "
                        + "(it never alters existing topics)");
            }
            return new TopicInventory(List.copyOf(lines), matches);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the cluster's topics: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing topics", e);
        }
    }

    /** The partition count every present Souper topic has, or null when they differ. */
    private static Integer sharedCount(Map<String, TopicDescription> described) {
        Set<Integer> counts = described.values().stream().map(d -> d.partitions().size()).collect(Collectors.toSet());
        return counts.size() <= 1 ? counts.stream().findFirst().orElse(null) : null;
    }
}
