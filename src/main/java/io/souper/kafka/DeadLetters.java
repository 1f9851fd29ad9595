package io.souper.kafka;

import io.souper.events.DeadLetter;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

/** Dead-letter records and their reason codes, the same for every component. */
public final class DeadLetters {
    /** The bytes are not a readable event (bad magic byte, unknown schema id, truncated...). */
    public static final String DESERIALIZATION_FAILED = "DESERIALIZATION_FAILED";
    /** The event decoded but is not valid (key and soup id disagree, missing scores...). */
    public static final String INVALID_EVENT = "INVALID_EVENT";
    /** No definition arrived for the soup in time. */
    public static final String UNKNOWN_SOUP = "UNKNOWN_SOUP";
    /** A new definition tries to change what cannot change for an existing soup. */
    public static final String DEFINITION_CONFLICT = "DEFINITION_CONFLICT";
    /** The evaluator could not score a checkpoint or candidate. */
    public static final String EVALUATION_FAILED = "EVALUATION_FAILED";

    private DeadLetters() {
    }

    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value,
                                String reasonCode, String message, String component, Instant failedAt) {
        return DeadLetter.newBuilder()
                .setOriginalTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setReasonCode(reasonCode)
                .setMessage(message == null ? reasonCode : message)
                .setComponent(component)
                .setHeaders(Map.of())
                .setFailedAt(failedAt)
                .build();
    }
}
