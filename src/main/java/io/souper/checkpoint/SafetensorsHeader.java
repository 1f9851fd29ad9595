package io.souper.checkpoint;

import io.souper.errors.SouperException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parsed and fully validated header of a safetensors file. Validation follows the
 * format's rules as the reference (Rust) implementation enforces them: an 8-byte
 * little-endian header length inside the file, a JSON object starting with '{',
 * known dtypes, shape x dtype size == byte length, and tensors that tile the data
 * section exactly (no overlap, no hole, nothing outside), which rules out polyglot files.
 */
final class SafetensorsHeader {

    /** Same cap as the reference implementation: a larger header is an attack, not a model. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Where one tensor's bytes are, relative to the start of the data section. */
    record Entry(TensorSpec spec, long begin, long end) {
    }

    final long headerLength;
    final long dataStart;
    final long dataLength;
    final Map<String, String> metadata;
    final Map<String, Entry> entries;

    private SafetensorsHeader(long headerLength, long fileSize, Map<String, String> metadata, Map<String, Entry> entries) {
        this.headerLength = headerLength;
        this.dataStart = 8 + headerLength;
        this.dataLength = fileSize - dataStart;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = Collections.unmodifiableMap(entries);
    }

    static SafetensorsHeader read(Path file, ByteSource channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw bad(file, "file is " + fileSize + " bytes, too short for the 8-byte header length");
        }
        ByteBuffer lengthBytes = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        long n = lengthBytes.getLong(0);
        if (n < 0 || n > fileSize - 8) {
            throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the file size " + fileSize);
        }
        if (n > MAX_HEADER_BYTES) {
            throw bad(file, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        byte[] json = readFully(channel, 8, (int) n).array();
        if (n == 0 || json[0] != '{') {
            throw bad(file, "header does not start with '{'");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(METADATA_KEY)) {
                metadata.putAll(parseMetadata(file, field.getValue()));
            } else {
                entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue()));
            }
        }
        SafetensorsHeader header = new SafetensorsHeader(n, fileSize, metadata, entries);
        header.checkTiling(file);
        return header;
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw bad(file, METADATA_KEY + " is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw bad(file, METADATA_KEY + " value of '" + e.getKey() + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
        return metadata;
    }

    private static Entry parseEntry(Path file, String name, JsonNode node) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw bad(file, where + " is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw bad(file, where + " has no string 'dtype'");
        }
        DType dtype = parseDtype(file, where, dtypeNode.textValue());
        long[] shape = nonNegativeLongs(file, where, "shape", node.get("shape"), -1);
        long[] offsets = nonNegativeLongs(file, where, "data_offsets", node.get("data_offsets"), 2);
        if (offsets[0] > offsets[1]) {
            throw bad(file, where + " has data_offsets " + Arrays.toString(offsets) + " with begin after end");
        }
        TensorSpec spec;
        long expected;
        try {
            spec = new TensorSpec(name, dtype, shape);
            expected = spec.byteSize();
        } catch (ArithmeticException e) {
            throw bad(file, where + " has shape " + Arrays.toString(shape) + " whose size overflows 64 bits");
        }
        if (expected != offsets[1] - offsets[0]) {
            throw bad(file, where + " of dtype " + dtype + " and shape " + Arrays.toString(shape) + " needs "
                    + expected + " bytes but data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]));
        }
        return new Entry(spec, offsets[0], offsets[1]);
    }

    private static DType parseDtype(Path file, String where, String name) {
        for (DType d : DType.values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw bad(file, where + " has unsupported dtype '" + name + "' (supported: "
                + Arrays.toString(DType.values()) + ")");
    }

    private static long[] nonNegativeLongs(Path file, String where, String field, JsonNode node, int requiredLength) {
        if (node == null || !node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
            throw bad(file, where + " has no '" + field + "' array"
                    + (requiredLength >= 0 ? " of " + requiredLength + " integers" : ""));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw bad(file, where + " has '" + field + "' entry " + v + " that is not a non-negative 64-bit integer");
            }
            values[i] = v.longValue();
        }
        return values;
    }

    /** The tensors, in offset order, must cover [0, dataLength) exactly once. */
    private void checkTiling(Path file) {
        List<Entry> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long position = 0;
        String previous = null;
        for (Entry e : byOffset) {
            String name = e.spec().name();
            if (e.end() > dataLength) {
                throw bad(file, "tensor '" + name + "' data_offsets [" + e.begin() + ", " + e.end()
                        + "] lie outside the data section of " + dataLength + " bytes");
            }
            if (e.begin() < position) {
                throw bad(file, "tensor '" + name + "' data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous + "' (which ends at " + position + ")");
            }
            if (e.begin() > position) {
                throw bad(file, "data section has a hole of " + (e.begin() - position) + " bytes at offset "
                        + position + " before tensor '" + name + "'");
            }
            if (e.end() > e.begin()) {
                position = e.end();
                previous = name;
            }
        }
        if (position != dataLength) {
            throw bad(file, "data section has " + (dataLength - position)
                    + " trailing bytes not covered by any tensor");
        }
    }

    static ByteBuffer readFully(ByteSource channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at offset " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    static SouperException bad(Path file, String what) {
        return new SouperException(CheckpointErrorCode.BAD_HEADER, file + ": " + what);
    }
}
