package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationResult;
import io.souper.kafka.Faults;
import io.souper.registry.HttpSchemaRegistryClient;
import io.souper.registry.InMemorySchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * No payload, however crafted, makes the deserializer allocate more than its own size allows or throw
 * anything but a SerializationException, and a SerializationException is the record's fault unless the
 * registry failed.
 */
class BoundedDecodingTest {
    /** The most a rejected payload of a few bytes may make the decoding thread allocate. */
    private static final long ALLOCATION_BUDGET = 16L << 20;

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerializer<SpecificRecord> serializer = new SpecificAvroSerializer<>(registry);
    private final SpecificAvroDeserializer<CheckpointReady> checkpoints =
            new SpecificAvroDeserializer<>(registry, CheckpointReady.class);

    @Test
    void aStringClaiming2To62BytesIsTheRecordsFaultNotAnUnsupportedOperation() {
        byte[] poison = claimingString(checkpointSchemaId(), (1L << 62) - 1);
        assertThat(poison).hasSize(14); // the record of the report: header + one 9-byte length

        SerializationException error = refused(checkpoints, poison);

        assertThat(error).hasMessageContaining("Truncated payload: 14 bytes")
                .hasMessageContaining("claims 4611686018427387903 bytes but only 0 remain");
        assertThat(Faults.classify(error)).isEqualTo(Faults.Fault.RECORD);
    }

    @Test
    void aStringClaimingNearly2GbIsRefusedBeforeAnythingIsAllocated() {
        byte[] poison = claimingString(checkpointSchemaId(), 1_900_000_000L);

        long allocated = allocatedBy(() -> refused(checkpoints, poison));

        assertThat(allocated).isLessThan(ALLOCATION_BUDGET);
    }

    @Test
    void aNegativeLengthIsRefused() {
        SerializationException error = refused(checkpoints, claimingString(checkpointSchemaId(), -5));

        assertThat(error).hasMessageContaining("negative length -5");
    }

    @Test
    void aMapClaimingTwoBillionEntriesIsRefusedBeforeItsTableIsAllocated() throws IOException {
        // A valid CheckpointReady up to its hyperParameters map, whose block then claims 2^31 - 9 entries.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(WireFormat.header(checkpointSchemaId()));
        for (String text : List.of("ckpt", "soup", "file:///c", "safetensors")) {
            writeString(out, text);
        }
        writeLong(out, 0); // sha256: null branch
        writeLong(out, 0); // sizeBytes: null branch
        writeString(out, "run");
        writeLong(out, 1); // step
        writeLong(out, Integer.MAX_VALUE - 8); // hyperParameters block count
        byte[] poison = out.toByteArray();

        long allocated = allocatedBy(() -> assertThat(refused(checkpoints, poison))
                .hasMessageContaining("map block at byte")
                .hasMessageContaining("claims 2147483639 items"));

        assertThat(allocated).isLessThan(ALLOCATION_BUDGET);
    }

    @Test
    void theCapsAreConfigurableAndNamedWhenExceeded() {
        byte[] valid = serializer.serialize("t", SampleEvents.checkpointReady());
        SpecificAvroDeserializer<CheckpointReady> strict = new SpecificAvroDeserializer<>(registry, CheckpointReady.class);
        strict.configure(Map.of(AvroSerdeConfig.MAX_STRING_BYTES, 8), false);
        SpecificAvroDeserializer<CheckpointReady> fewItems = new SpecificAvroDeserializer<>(registry, CheckpointReady.class);
        fewItems.configure(Map.of(AvroSerdeConfig.MAX_COLLECTION_ITEMS, 3), false); // the sample has 2 + 2

        assertThat(refused(strict, valid)).hasMessageContaining("more than the configured maximum of 8 ("
                + AvroSerdeConfig.MAX_STRING_BYTES + ")");
        assertThat(refused(fewItems, valid)).hasMessageContaining("3 array items and map entries one record may hold");
        assertThat(checkpoints.deserialize("t", valid)).isEqualTo(SampleEvents.checkpointReady());
    }

    @Test
    void everySampleEventStillRoundTrips() {
        SpecificAvroDeserializer<SpecificRecord> any = new SpecificAvroDeserializer<>(registry);
        for (SpecificRecord event : SampleEvents.all()) {
            assertThat(any.deserialize("t-" + event.getSchema().getName(),
                    serializer.serialize("t-" + event.getSchema().getName(), event))).isEqualTo(event);
        }
    }

    /** Seeded mutations of valid payloads: every failure is a SerializationException and the record's fault. */
    @Test
    void mutatedPayloadsOnlyEverFailAsTheRecordsFault() {
        SpecificAvroDeserializer<SpecificRecord> any = new SpecificAvroDeserializer<>(registry);
        List<byte[]> valid = new ArrayList<>();
        for (SpecificRecord event : SampleEvents.all()) {
            valid.add(serializer.serialize("t-" + event.getSchema().getName(), event));
        }
        Random random = new Random(12);
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = valid.get(random.nextInt(valid.size())).clone();
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                int at = WireFormat.HEADER_SIZE + random.nextInt(bytes.length - WireFormat.HEADER_SIZE);
                bytes[at] = random.nextInt(4) == 0 ? (byte) 0xff : (byte) random.nextInt(256);
            }
            if (random.nextInt(5) == 0) {
                bytes = java.util.Arrays.copyOf(bytes, WireFormat.HEADER_SIZE + random.nextInt(bytes.length));
            }
            try {
                any.deserialize("t", bytes);
            } catch (SerializationException e) {
                assertThat(Faults.classify(e)).as("case %d: %s", i, e).isEqualTo(Faults.Fault.RECORD);
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(1_000);
    }

    /** Arrays of nulls may hold more items than bytes: the decoder allows that, bounded by the cap alone. */
    @Test
    void zeroByteItemsAreBoundedByTheCapOnly() throws IOException {
        Schema nulls = new Schema.Parser().parse("""
                {"type":"record","name":"Nulls","fields":[{"name":"n","type":{"type":"array","items":"null"}}]}""");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeLong(out, 1000);
        writeLong(out, 0);
        byte[] body = out.toByteArray();
        GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(nulls);

        GenericRecord read = reader.read(null, new BoundedBinaryDecoder(body, 0, body.length,
                new DecodingLimits(10, 10, 1000), ZeroByteItems.in(nulls)));
        assertThat((List<?>) read.get("n")).hasSize(1000);
        assertThat(ZeroByteItems.in(EvaluationResult.getClassSchema())).isFalse();
        assertThatThrownBy(() -> reader.read(null, new BoundedBinaryDecoder(body, 0, body.length,
                new DecodingLimits(10, 10, 999), true)))
                .isInstanceOf(DecodingLimitException.class)
                .hasMessageContaining("claims 1000 items");
    }

    @Test
    void numbersAndBytesDecodeAsAvroWritesThem() throws IOException {
        Schema schema = new Schema.Parser().parse("""
                {"type":"record","name":"All","fields":[
                 {"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"f","type":"float"},
                 {"name":"d","type":"double"},{"name":"b","type":"boolean"},{"name":"y","type":"bytes"},
                 {"name":"x","type":{"type":"fixed","name":"F","size":3}},
                 {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
                 {"name":"a","type":{"type":"array","items":"int"}}]}""");
        GenericRecord record = new org.apache.avro.generic.GenericData.Record(schema);
        record.put("i", Integer.MIN_VALUE);
        record.put("l", Long.MAX_VALUE);
        record.put("f", -1.5f);
        record.put("d", Math.PI);
        record.put("b", true);
        record.put("y", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        record.put("x", new org.apache.avro.generic.GenericData.Fixed(schema.getField("x").schema(), new byte[] {7, 8, 9}));
        record.put("e", new org.apache.avro.generic.GenericData.EnumSymbol(schema.getField("e").schema(), "B"));
        record.put("a", List.of(-1, 0, 300_000));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        byte[] body = out.toByteArray();

        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder(body, 0, body.length, DecodingLimits.defaults(), false);
        GenericRecord read = new GenericDatumReader<GenericRecord>(schema).read(null, decoder);

        assertThat(read).isEqualTo(record);
        assertThat(decoder.isEnd()).isTrue();
    }

    /** A registry that answers 5xx is an outage: the record is fine and must be retried, not dead-lettered. */
    @Test
    void aFailingRegistryIsTheWorldsFaultAnUnknownIdTheRecords() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "{\"error_code\":50001,\"message\":\"Error in the backend datastore\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(500, body.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
            }
        });
        server.start();
        try {
            HttpSchemaRegistryClient failing = new HttpSchemaRegistryClient("http://127.0.0.1:"
                    + server.getAddress().getPort(), Duration.ofSeconds(2), Duration.ofSeconds(2));
            SerializationException outage = refused(new SpecificAvroDeserializer<>(failing, CheckpointReady.class),
                    new byte[] {0, 0, 0, 0, 1, 2});

            assertThat(outage).hasMessageContaining("50001");
            assertThat(Faults.classify(outage)).isEqualTo(Faults.Fault.WORLD);
        } finally {
            server.stop(0);
        }
        assertThat(Faults.classify(refused(checkpoints, new byte[] {0, 0, 0, 0, 99, 2})))
                .isEqualTo(Faults.Fault.RECORD);
    }

    private int checkpointSchemaId() {
        return ByteBuffer.wrap(serializer.serialize("t", SampleEvents.checkpointReady()), 1, 4).getInt();
    }

    /** A framed CheckpointReady whose first field (checkpointId, a string) claims {@code length} bytes. */
    static byte[] claimingString(int schemaId, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(WireFormat.header(schemaId));
        writeLong(out, length);
        return out.toByteArray();
    }

    private static SerializationException refused(SpecificAvroDeserializer<?> deserializer, byte[] payload) {
        try {
            deserializer.deserialize("t", payload);
        } catch (SerializationException e) {
            return e;
        }
        throw new AssertionError("payload of " + payload.length + " bytes was accepted");
    }

    private static long allocatedBy(Runnable action) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        action.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    private static void writeString(ByteArrayOutputStream out, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        writeLong(out, utf8.length);
        out.writeBytes(utf8);
    }

    /** Avro's zig-zag varint. */
    static void writeLong(ByteArrayOutputStream out, long value) {
        long n = (value << 1) ^ (value >> 63);
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7f) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
    }
}
