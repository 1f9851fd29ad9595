package io.souper.kafka;

import org.apache.kafka.common.serialization.Serde;

/** A topic with the serdes of its keys and values, so producers and topologies cannot mix them up. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
}
