package io.souper.checkpoint.sharded;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.store.BlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A {@code *.safetensors.index.json} as {@code save_pretrained} writes it:
 * {@code {"metadata": {"total_size": N, ...}, "weight_map": {"tensor": "model-00001-of-00004.safetensors", ...}}}.
 * Parsed strictly: a tensor named twice in the weight map is DUPLICATE_TENSOR (plain JSON
 * parsers would silently keep the last one); anything else malformed, and any shard name that
 * is not a plain file name (so an index cannot point outside its directory), is BAD_INDEX.
 */
public final class ShardIndex {

    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String INDEX_SUFFIX = ".safetensors.index.json";
    public static final String TOTAL_SIZE = "total_size";
    /** Our own addition to the metadata: sha256 of every shard, so a wrong shard is named. */
    public static final String SHARD_SHA256 = "souper_shard_sha256";
    /** An index of a model with millions of tensors is still far below this. */
    public static final int MAX_INDEX_BYTES = 64 << 20;

    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Map<String, String> weightMap;
    private final OptionalLong totalSize;
    private final Map<String, String> shardSha256;

    public ShardIndex(Map<String, String> weightMap, OptionalLong totalSize, Map<String, String> shardSha256) {
        this.weightMap = Collections.unmodifiableMap(new TreeMap<>(weightMap));
        this.totalSize = totalSize;
        this.shardSha256 = Collections.unmodifiableMap(new TreeMap<>(shardSha256));
    }

    /** Tensor name -> shard file name, sorted by tensor name. */
    public Map<String, String> weightMap() {
        return weightMap;
    }

    public OptionalLong totalSize() {
        return totalSize;
    }

    /** Shard file name -> its expected sha256, when the index carries them. */
    public Map<String, String> shardSha256() {
        return shardSha256;
    }

    /** The distinct shard file names, sorted. */
    public List<String> shards() {
        return new ArrayList<>(new TreeSet<>(weightMap.values()));
    }

    /** Tensor names stored in {@code shard}, sorted. */
    public List<String> tensorsIn(String shard) {
        List<String> out = new ArrayList<>();
        weightMap.forEach((tensor, file) -> {
            if (file.equals(shard)) {
                out.add(tensor);
            }
        });
        return out;
    }

    public static boolean isIndexName(String name) {
        return name.endsWith(INDEX_SUFFIX);
    }

    public static ShardIndex parse(String where, byte[] json) {
        Map<String, String> weightMap = null;
        Long total = null;
        Map<String, String> shas = new LinkedHashMap<>();
        try (JsonParser p = JSON_FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad(where, "is not a JSON object");
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (!seen.add(field)) {
                    throw bad(where, "has the field '" + field + "' twice");
                }
                p.nextToken();
                if (field.equals("weight_map")) {
                    weightMap = parseWeightMap(where, p);
                } else if (field.equals("metadata")) {
                    JsonNode metadata = JSON.readTree(p);
                    if (!metadata.isObject()) {
                        throw bad(where, "metadata is not an object");
                    }
                    JsonNode size = metadata.get(TOTAL_SIZE);
                    if (size != null) {
                        if (!size.canConvertToExactIntegral() || !size.canConvertToLong() || size.longValue() < 0) {
                            throw bad(where, "metadata.total_size " + size + " is not a non-negative integer");
                        }
                        total = size.longValue();
                    }
                    JsonNode sha = metadata.get(SHARD_SHA256);
                    if (sha != null) {
                        if (!sha.isObject()) {
                            throw bad(where, "metadata." + SHARD_SHA256 + " is not an object");
                        }
                        sha.fields().forEachRemaining(e -> shas.put(e.getKey(), e.getValue().asText()));
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw bad(where, "has trailing content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw bad(where, "is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad(where, "cannot be parsed: " + e.getMessage());
        }
        if (weightMap == null || weightMap.isEmpty()) {
            throw bad(where, "has no weight_map naming tensors");
        }
        for (String shard : shas.keySet()) {
            if (!weightMap.containsValue(shard)) {
                throw bad(where, "lists a sha256 for '" + shard + "', which holds no tensor");
            }
        }
        return new ShardIndex(weightMap, total == null ? OptionalLong.empty() : OptionalLong.of(total), shas);
    }

    private static Map<String, String> parseWeightMap(String where, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad(where, "weight_map is not an object");
        }
        Map<String, String> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String tensor = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw bad(where, "weight_map entry '" + tensor + "' is not a shard file name");
            }
            String shard = p.getText();
            if (tensor.isEmpty() || tensor.equals("__metadata__")) {
                throw bad(where, "weight_map names a tensor '" + tensor + "'");
            }
            if (!BlobStore.isPlainFileName(shard) || !shard.endsWith(".safetensors")) {
                throw bad(where, "weight_map puts '" + tensor + "' in '" + shard
                        + "', which is not a plain *.safetensors file name next to the index");
            }
            String before = map.put(tensor, shard);
            if (before != null) {
                throw new SouperException(CheckpointErrorCode.DUPLICATE_TENSOR, where + ": weight_map names tensor '"
                        + tensor + "' twice (in '" + before + "' and '" + shard + "')");
            }
        }
        return map;
    }

    /** The index JSON: sorted keys, two-space indent, as save_pretrained writes it. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode metadata = root.putObject("metadata");
        totalSize.ifPresent(t -> metadata.put(TOTAL_SIZE, t));
        if (!shardSha256.isEmpty()) {
            ObjectNode sha = metadata.putObject(SHARD_SHA256);
            shardSha256.forEach(sha::put);
        }
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        try {
            return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a shard index", e);
        }
    }

    static SouperException bad(String where, String what) {
        return new SouperException(CheckpointErrorCode.BAD_INDEX, where + " " + what);
    }
}
