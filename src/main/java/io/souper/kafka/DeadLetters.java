package io.souper.kafka;

import io.souper.events.DeadLetter;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dead-letter records and their reason codes, the same for every component.
 *
 * <p>A dead letter must always fit the dead-letter topic, or the component that writes it retries
 * forever: a value of 1,048,400 bytes is accepted by a broker with the default 1 MiB limit, but the
 * same bytes plus a dead letter's metadata are not. So the copied value, key, message and headers are
 * capped (see {@link #MAX_COPIED_VALUE_BYTES} and its neighbours); a cut value keeps a prefix, and its
 * original size and sha256 go into the message and the headers, so the original can still be found
 * (topic, partition and offset are always kept) and recognised.
 */
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
    /**
     * Handling the record stopped its consumer again and again (the evaluator process, or the
     * souper's stream thread): it was skipped so the rest can go on.
     */
    public static final String REPEATED_CRASH = "REPEATED_CRASH";

    /*
     * The caps keep a whole dead letter under ~700 KiB, well inside the broker's and the producer's
     * default 1 MiB (message.max.bytes, max.request.size), with room for the record's own key.
     */
    /** Most bytes of the original value a dead letter carries; a longer value keeps this prefix. */
    public static final int MAX_COPIED_VALUE_BYTES = 512 * 1024;
    /** Most bytes of the original key a dead letter carries (Souper's keys are soup ids). */
    public static final int MAX_COPIED_KEY_BYTES = 16 * 1024;
    /** Most characters of a dead letter's message. */
    public static final int MAX_MESSAGE_CHARS = 16 * 1024;
    /** Most characters of one header value; at most {@link #MAX_HEADERS} headers are kept. */
    public static final int MAX_HEADER_CHARS = 1024;
    public static final int MAX_HEADERS = 16;

    /** Header: the original value's size in bytes, set when the copied value was cut. */
    public static final String ORIGINAL_VALUE_BYTES = "originalValueBytes";
    /** Header: the sha256 (hex) of the whole original value, set when the copied value was cut. */
    public static final String ORIGINAL_VALUE_SHA256 = "originalValueSha256";
    /** Header: the original key's size in bytes, set when the copied key was cut. */
    public static final String ORIGINAL_KEY_BYTES = "originalKeyBytes";

    private DeadLetters() {
    }

    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value,
                                String reasonCode, String message, String component, Instant failedAt) {
        return of(topic, partition, offset, key, value, reasonCode, message, component, failedAt, Map.of());
    }

    /** A dead letter with {@code headers} (error code, subject id...), all of it capped to fit the topic. */
    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value,
                                String reasonCode, String message, String component, Instant failedAt,
                                Map<String, String> headers) {
        Map<String, String> kept = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder(message == null ? reasonCode : message);
        byte[] keyCopy = key;
        if (key != null && key.length > MAX_COPIED_KEY_BYTES) {
            keyCopy = Arrays.copyOf(key, MAX_COPIED_KEY_BYTES);
            kept.put(ORIGINAL_KEY_BYTES, Integer.toString(key.length));
        }
        byte[] valueCopy = value;
        String valueNote = "";
        if (value != null && value.length > MAX_COPIED_VALUE_BYTES) {
            valueCopy = Arrays.copyOf(value, MAX_COPIED_VALUE_BYTES);
            String sha256 = sha256(value);
            kept.put(ORIGINAL_VALUE_BYTES, Integer.toString(value.length));
            kept.put(ORIGINAL_VALUE_SHA256, sha256);
            valueNote = " [value cut to its first " + MAX_COPIED_VALUE_BYTES + " of " + value.length
                    + " bytes; sha256 of the whole value " + sha256 + "]";
        }
        for (Map.Entry<String, String> header : headers.entrySet()) {
            if (kept.size() >= MAX_HEADERS) {
                break;
            }
            kept.putIfAbsent(cut(header.getKey(), MAX_HEADER_CHARS), cut(header.getValue(), MAX_HEADER_CHARS));
        }
        // the note about the value goes last and is never cut off
        String body = cut(text.toString(), MAX_MESSAGE_CHARS - valueNote.length());
        return DeadLetter.newBuilder()
                .setOriginalTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(keyCopy == null ? null : ByteBuffer.wrap(keyCopy))
                .setValue(valueCopy == null ? null : ByteBuffer.wrap(valueCopy))
                .setReasonCode(reasonCode)
                .setMessage(body + valueNote)
                .setComponent(component)
                .setHeaders(Map.copyOf(kept))
                .setFailedAt(failedAt)
                .build();
    }

    /**
     * The key to produce a dead letter under: the original key, cut like the copied one, so a huge
     * key cannot push the dead-letter record over the topic's limit either.
     */
    public static byte[] recordKey(byte[] originalKey) {
        return originalKey == null || originalKey.length <= MAX_COPIED_KEY_BYTES
                ? originalKey : Arrays.copyOf(originalKey, MAX_COPIED_KEY_BYTES);
    }

    /** {@code text} cut to at most {@code max} characters, never between the halves of a surrogate pair. */
    private static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Math.max(0, max - 1);
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "…";
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
