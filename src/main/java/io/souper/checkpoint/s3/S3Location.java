package io.souper.checkpoint.s3;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * A parsed, normalised {@code s3://bucket/key} URI. Refused (BAD_URI): other schemes, user info,
 * ports, queries, fragments, bucket names S3 would not accept, and keys that are not normalised
 * ('.', '..' or empty segments, also percent-encoded, or a NUL), so a prefix check on the key
 * means what it says. A key ending in '/' names a "directory" (a prefix).
 */
public record S3Location(String bucket, String key) {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final int MAX_KEY_BYTES = 1024;

    public static S3Location parse(String uri) {
        if (uri == null) {
            throw bad("null", "no URI given");
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw bad(uri, "not a valid URI: " + e.getReason());
        }
        if (!"s3".equals(parsed.getScheme())) {
            throw bad(uri, "not an s3:// URI");
        }
        if (parsed.isOpaque() || parsed.getRawAuthority() == null) {
            throw bad(uri, "an s3 URI is s3://bucket/key");
        }
        if (parsed.getRawUserInfo() != null || parsed.getPort() != -1 || parsed.getHost() == null) {
            throw bad(uri, "the authority of an s3 URI is a bucket name only");
        }
        if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
            throw bad(uri, "an s3 URI must not have a query or fragment");
        }
        String bucket = parsed.getRawAuthority();
        if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw bad(uri, "'" + bucket + "' is not a valid bucket name");
        }
        String path = parsed.getPath();
        if (path == null || !path.startsWith("/") || path.length() == 1) {
            throw bad(uri, "no object key");
        }
        String key = path.substring(1);
        return new S3Location(bucket, checkedKey(uri, key));
    }

    private static String checkedKey(String uri, String key) {
        if (key.indexOf('\0') >= 0) {
            throw bad(uri, "key contains a NUL character");
        }
        if (key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw bad(uri, "key longer than " + MAX_KEY_BYTES + " bytes");
        }
        String[] segments = key.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean trailing = i == segments.length - 1 && s.isEmpty() && i > 0;
            if ((s.isEmpty() && !trailing) || s.equals(".") || s.equals("..")) {
                throw bad(uri, "key is not normalised (empty, '.' or '..' segment)");
            }
        }
        return key;
    }

    /** True for a prefix ("directory"): the key ends with '/'. */
    public boolean isDirectory() {
        return key.endsWith("/");
    }

    /** The "directory" holding this object (its key up to the last '/'), with a trailing '/'; "" at the top. */
    public String directoryKey() {
        if (isDirectory()) {
            return key;
        }
        int slash = key.lastIndexOf('/');
        return slash < 0 ? "" : key.substring(0, slash + 1);
    }

    public S3Location child(String fileName) {
        return new S3Location(bucket, checkedKey("s3://" + bucket + "/" + directoryKey() + fileName,
                directoryKey() + fileName));
    }

    public String uri() {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return uri();
    }

    private static SouperException bad(String uri, String what) {
        return new SouperException(CheckpointErrorCode.BAD_URI, uri + ": " + what);
    }
}
