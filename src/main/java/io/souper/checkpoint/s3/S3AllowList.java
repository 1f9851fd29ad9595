package io.souper.checkpoint.s3;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import java.util.List;

/**
 * The bucket/prefix pairs an object store may be read from and written to: the object-store
 * counterpart of the file store's roots. Prefixes match whole path segments ("ckpt/" allows
 * "ckpt/run1/a" but not "ckpt-evil/a"); an empty prefix allows the whole bucket. Anything else
 * is URI_OUTSIDE_ROOTS, the reason a file URI outside the roots gets.
 */
public record S3AllowList(List<Entry> entries) {

    /** One allowed pair; the prefix is "" or ends with '/'. */
    public record Entry(String bucket, String prefix) {
        public Entry {
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalArgumentException("an allowed location needs a bucket");
            }
            prefix = prefix == null ? "" : prefix;
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            if (prefix.startsWith("/") || prefix.contains("//") || prefix.contains("/../") || prefix.startsWith("../")
                    || prefix.contains("/./") || prefix.startsWith("./")) {
                throw new IllegalArgumentException("allowed prefix '" + prefix + "' is not normalised");
            }
        }

        /** Parses "bucket" or "bucket/prefix" (an "s3://" in front is accepted). */
        public static Entry parse(String text) {
            String t = text.startsWith("s3://") ? text.substring(5) : text;
            int slash = t.indexOf('/');
            return slash < 0 ? new Entry(t, "") : new Entry(t.substring(0, slash), t.substring(slash + 1));
        }

        boolean allows(S3Location location) {
            return bucket.equals(location.bucket()) && location.key().startsWith(prefix)
                    && location.key().length() > prefix.length();
        }

        @Override
        public String toString() {
            return "s3://" + bucket + "/" + prefix;
        }
    }

    public S3AllowList {
        if (entries == null || entries.isEmpty()) {
            throw new IllegalArgumentException("an object store needs at least one allowed bucket/prefix");
        }
        entries = List.copyOf(entries);
    }

    public static S3AllowList parse(List<String> texts) {
        return new S3AllowList(texts.stream().map(Entry::parse).toList());
    }

    /** The parsed location of {@code uri}, if it is allowed. */
    public S3Location check(String uri) {
        S3Location location = S3Location.parse(uri);
        for (Entry e : entries) {
            if (e.allows(location)) {
                return location;
            }
        }
        throw new SouperException(CheckpointErrorCode.URI_OUTSIDE_ROOTS, uri
                + ": outside the allowed buckets/prefixes " + entries);
    }
}
