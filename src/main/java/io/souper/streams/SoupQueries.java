package io.souper.streams;

import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.soup.SoupState;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Interactive queries over the souper's stores, as typed values. This instance answers
 * for the soups it holds; {@link #owner} and {@link #otherInstances} say where the others
 * are, so the caller (the HTTP API) can ask them. How results travel between instances
 * and how they are rendered is not the stream processor's business.
 */
public final class SoupQueries {

    /**
     * One soup as this instance holds it.
     *
     * @param definition the soup's definition, null if it was deleted after the soup started
     * @param latest     the last published version, null before the first
     * @param stale      read from a standby copy (or a store still restoring) because this instance is not the
     *                   soup's owner: it may lag the owner by the last few commits
     */
    public record SoupView(String soupId, SoupState state, SoupDefinition definition, SoupUpdated latest,
                           boolean stale) {
    }

    /** Where a soup lives: its owner, and the instances that keep a standby copy of it. */
    public record Placement(HostInfo active, List<HostInfo> standbys) {
    }

    private final KafkaStreams streams;
    private final HostInfo self;

    public SoupQueries(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    /** The address other instances reach this one at ({@code application.server}). */
    public HostInfo self() {
        return self;
    }

    /** Every soup in this instance's stores, its own and the standby copies (marked stale). */
    public List<SoupView> localSoups() {
        List<SoupView> all = new ArrayList<>();
        ReadOnlyKeyValueStore<String, byte[]> states = store(StoreNames.STATE);
        ReadOnlyKeyValueStore<String, SoupDefinition> definitions = store(StoreNames.DEFINITIONS);
        ReadOnlyKeyValueStore<String, SoupUpdated> latest = store(StoreNames.LATEST);
        try (KeyValueIterator<String, byte[]> it = states.all()) {
            it.forEachRemaining(entry -> all.add(new SoupView(entry.key, SoupState.decode(entry.value),
                    definitions.get(entry.key), latest.get(entry.key), !ownedHere(entry.key))));
        } catch (InvalidStateStoreException e) {
            throw unavailable(StoreNames.STATE, e);
        }
        return all;
    }

    /** The soup if this instance holds it. */
    public Optional<SoupView> localSoup(String soupId) {
        byte[] bytes = get(StoreNames.STATE, soupId);
        if (bytes == null) {
            return Optional.empty();
        }
        return Optional.of(new SoupView(soupId, SoupState.decode(bytes),
                get(StoreNames.DEFINITIONS, soupId), get(StoreNames.LATEST, soupId), !ownedHere(soupId)));
    }

    /** The soup's decisions in order, if this instance holds the soup. */
    public Optional<List<SoupDecision>> localDecisions(String soupId) {
        if (get(StoreNames.STATE, soupId) == null) {
            return Optional.empty();
        }
        List<SoupDecision> out = new ArrayList<>();
        ReadOnlyKeyValueStore<String, SoupDecision> decisions = store(StoreNames.DECISIONS);
        try (KeyValueIterator<String, SoupDecision> it = decisions.prefixScan(StoreNames.soupPrefix(soupId),
                Serdes.String().serializer())) {
            it.forEachRemaining(entry -> out.add(entry.value));
        } catch (InvalidStateStoreException e) {
            throw unavailable(StoreNames.DECISIONS, e);
        }
        return Optional.of(out);
    }

    /** The instance whose stores hold the soup (this one or another). */
    public HostInfo owner(String soupId) {
        return placement(soupId).active();
    }

    /** The soup's owner and the instances with a standby copy, to ask in turn when the owner does not answer. */
    public Placement placement(String soupId) {
        KeyQueryMetadata metadata;
        try {
            metadata = streams.queryMetadataForKey(StoreNames.STATE, soupId, Serdes.String().serializer());
        } catch (InvalidStateStoreException e) {
            throw unavailable(StoreNames.STATE, e);
        } catch (IllegalStateException e) {
            throw notRunning(e);
        }
        if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            throw new QueryUnavailableException("the souper is rebalancing; try again shortly");
        }
        return new Placement(metadata.activeHost(), List.copyOf(metadata.standbyHosts()));
    }

    /** Whether this instance owns the soup (its answers are current), as opposed to keeping a copy. */
    private boolean ownedHere(String soupId) {
        try {
            KeyQueryMetadata metadata = streams.queryMetadataForKey(StoreNames.STATE, soupId,
                    Serdes.String().serializer());
            return metadata != null && self.equals(metadata.activeHost());
        } catch (InvalidStateStoreException | IllegalStateException e) {
            return false; // no metadata now: do not claim the answer is current
        }
    }

    /** The other instances that hold soup state, to ask for their soups. */
    public List<HostInfo> otherInstances() {
        try {
            return streams.metadataForAllStreamsClients().stream()
                    .filter(instance -> !instance.hostInfo().equals(self)
                            && instance.stateStoreNames().contains(StoreNames.STATE))
                    .map(StreamsMetadata::hostInfo)
                    .toList();
        } catch (InvalidStateStoreException e) {
            throw unavailable(StoreNames.STATE, e);
        } catch (IllegalStateException e) {
            throw notRunning(e);
        }
    }

    private <V> V get(String storeName, String soupId) {
        ReadOnlyKeyValueStore<String, V> store = store(storeName);
        try {
            return store.get(soupId);
        } catch (InvalidStateStoreException e) {
            throw unavailable(storeName, e);
        }
    }

    private <V> ReadOnlyKeyValueStore<String, V> store(String name) {
        try {
            // Stale stores too: a standby copy answers while the soup's owner is down (marked stale).
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore())
                    .enableStaleStores());
        } catch (InvalidStateStoreException e) {
            // also StreamsNotStartedException: the process is up but streams are still starting
            throw unavailable(name, e);
        } catch (IllegalStateException e) {
            throw notRunning(e);
        }
    }

    /** Kafka Streams refuses queries outside RUNNING and REBALANCING (stopping, or a failed thread). */
    private QueryUnavailableException notRunning(IllegalStateException e) {
        return new QueryUnavailableException("the souper is not serving queries right now (souper streams "
                + streams.state() + ": " + e.getMessage() + ")");
    }

    private QueryUnavailableException unavailable(String store, InvalidStateStoreException e) {
        return new QueryUnavailableException("store " + store + " is not queryable right now (souper streams "
                + streams.state() + ": " + e.getMessage() + ")");
    }
}
