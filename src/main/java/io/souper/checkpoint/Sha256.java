package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** Streaming sha256 of files (a fixed 1 MiB buffer, never the whole file) and hex helpers. */
public final class Sha256 {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final int BUFFER = 1 << 20;

    private Sha256() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Lower-case hex sha256 of the file's bytes. */
    public static String of(Path file) {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
        return hex(digest.digest());
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** Lower-cases {@code sha256}; HASH_MISMATCH if it is not 64 hex digits, since nothing could ever match it. */
    public static String normalise(String sha256) {
        String lower = sha256 == null ? "" : sha256.trim().toLowerCase(Locale.ROOT);
        if (!HEX64.matcher(lower).matches()) {
            throw new SouperException(CheckpointErrorCode.HASH_MISMATCH,
                    "expected sha256 '" + sha256 + "' is not 64 hex digits");
        }
        return lower;
    }

    /** Checks {@code file} against {@code expected} (any case), streaming; HASH_MISMATCH names both hashes. */
    public static void verify(Path file, String expected) {
        String want = normalise(expected);
        String got = of(file);
        if (!got.equals(want)) {
            throw new SouperException(CheckpointErrorCode.HASH_MISMATCH,
                    file + ": sha256 is " + got + ", expected " + want);
        }
    }
}
