package io.souper.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.soup.Ignored;
import io.souper.soup.SoupState;
import io.souper.web.AvroJson;
import io.souper.web.Json;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Interactive queries over the souper's stores. A soup held by another instance is
 * fetched from that instance over HTTP, found through {@code application.server}
 * metadata, so any instance answers for every soup.
 */
public final class SoupQueries {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final KafkaStreams streams;
    private final HostInfo self;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public SoupQueries(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    /** Every soup on every instance (or only this one's when {@code localOnly}). */
    public ArrayNode soups(boolean localOnly) {
        ArrayNode all = NODES.arrayNode();
        try (KeyValueIterator<String, byte[]> it = store(StoreNames.STATE, byte[].class).all()) {
            it.forEachRemaining(entry -> all.add(summary(entry.key, SoupState.decode(entry.value))));
        }
        if (!localOnly) {
            for (StreamsMetadata instance : streams.metadataForAllStreamsClients()) {
                if (!instance.hostInfo().equals(self) && instance.stateStoreNames().contains(StoreNames.STATE)) {
                    remote(instance.hostInfo(), "/soups?local=true").forEach(all::add);
                }
            }
        }
        return all;
    }

    public Optional<JsonNode> soup(String soupId, boolean localOnly) {
        HostInfo owner = owner(soupId, localOnly);
        if (!owner.equals(self)) {
            JsonNode node = remote(owner, "/soups/" + encode(soupId) + "?local=true");
            return node.isNull() ? Optional.empty() : Optional.of(node);
        }
        byte[] bytes = store(StoreNames.STATE, byte[].class).get(soupId);
        if (bytes == null) {
            return Optional.empty();
        }
        ObjectNode node = summary(soupId, SoupState.decode(bytes));
        SoupDefinition definition = store(StoreNames.DEFINITIONS, SoupDefinition.class).get(soupId);
        node.set("definition", definition == null ? NODES.nullNode() : AvroJson.toJson(definition));
        SoupUpdated latest = store(StoreNames.LATEST, SoupUpdated.class).get(soupId);
        node.set("soup", latest == null ? NODES.nullNode() : AvroJson.toJson(latest));
        return Optional.of(node);
    }

    public Optional<ArrayNode> decisions(String soupId, boolean localOnly) {
        HostInfo owner = owner(soupId, localOnly);
        if (!owner.equals(self)) {
            JsonNode node = remote(owner, "/soups/" + encode(soupId) + "/decisions?local=true");
            return node.isArray() ? Optional.of((ArrayNode) node) : Optional.empty();
        }
        if (store(StoreNames.STATE, byte[].class).get(soupId) == null) {
            return Optional.empty();
        }
        ArrayNode out = NODES.arrayNode();
        try (KeyValueIterator<String, SoupDecision> it = store(StoreNames.DECISIONS, SoupDecision.class)
                .prefixScan(StoreNames.soupPrefix(soupId), Serdes.String().serializer())) {
            it.forEachRemaining(entry -> out.add(AvroJson.toJson(entry.value)));
        }
        return Optional.of(out);
    }

    private static ObjectNode summary(String soupId, SoupState state) {
        ObjectNode node = NODES.objectNode();
        node.put("soupId", soupId);
        node.put("policy", state.policy().name());
        node.put("acceptRule", state.acceptance().name());
        node.put("version", state.version());
        ArrayNode ingredients = node.putArray("ingredients");
        state.publishedIngredientIds().forEach(ingredients::add);
        state.publishedHeldOut().ifPresentOrElse(a -> node.put("heldOutAccuracy", a.value()),
                () -> node.putNull("heldOutAccuracy"));
        ObjectNode counts = node.putObject("counts");
        counts.put("scored", state.tally().scored());
        counts.put("accepted", state.tally().accepted());
        counts.put("rejected", state.tally().rejected());
        counts.put("pending", state.tally().pending());
        counts.put("failed", state.tally().failed());
        node.put("candidateEvaluationsRequested", state.candidateEvaluationsRequested());
        node.put("memoisedSets", state.memoSize());
        ObjectNode ignored = node.putObject("ignoredResults");
        for (Ignored reason : Ignored.values()) {
            ignored.put(reason.name(), state.ignoredCount(reason));
        }
        state.requestInFlight().ifPresentOrElse(r -> {
            ObjectNode inFlight = node.putObject("inFlight");
            inFlight.put("requestId", r.requestId());
            inFlight.put("triedCheckpointId", r.triedCheckpointId());
            ArrayNode set = inFlight.putArray("ingredients");
            r.ingredientIds().forEach(set::add);
        }, () -> node.putNull("inFlight"));
        return node;
    }

    private HostInfo owner(String soupId, boolean localOnly) {
        if (localOnly) {
            return self;
        }
        KeyQueryMetadata metadata = streams.queryMetadataForKey(StoreNames.STATE, soupId, Serdes.String().serializer());
        if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            throw new QueryUnavailableException("the souper is rebalancing; try again shortly");
        }
        return metadata.activeHost();
    }

    private <V> ReadOnlyKeyValueStore<String, V> store(String name, Class<V> valueType) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            throw new QueryUnavailableException("store " + name + " is not queryable right now (" + e.getMessage() + ")");
        }
    }

    private JsonNode remote(HostInfo host, String path) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + path);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404) {
                return NODES.nullNode();
            }
            if (response.statusCode() != 200) {
                throw new QueryUnavailableException(uri + " answered " + response.statusCode() + ": " + response.body());
            }
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new QueryUnavailableException("cannot reach the souper instance at " + uri + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueryUnavailableException("interrupted while asking " + uri);
        }
    }

    private static String encode(String soupId) {
        return URLEncoder.encode(soupId, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
