package io.souper.kafka;

import java.util.Map;

/**
 * How a topic is created: its name, partitions and topic-level configs. Inputs keyed
 * by soup id share one partition count so they stay co-partitioned.
 */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {

    public TopicSpec {
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
        }
        configs = Map.copyOf(configs);
    }

    public boolean compacted() {
        return "compact".equals(configs.get("cleanup.policy"));
    }
}
