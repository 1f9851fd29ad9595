package io.souper.streams;

/** The souper's state stores (RocksDB, changelogged) and their key layout. */
public final class StoreNames {
    /** soup id -> SoupDefinition. */
    public static final String DEFINITIONS = "soup-definitions";
    /** soup id -> encoded core SoupState. */
    public static final String STATE = "soup-state";
    /** soup id -> latest SoupUpdated, for queries. */
    public static final String LATEST = "soup-latest";
    /** soupKey(soup id) + sequence -> SoupDecision, for the audit query. */
    public static final String DECISIONS = "soup-decisions";
    /** soupKey(soup id) + arrival -> evaluation waiting for its soup's definition. */
    public static final String WAITING = "soup-waiting";

    private StoreNames() {
    }

    /**
     * A key prefix that belongs to exactly one soup: the length in front keeps soup "a"
     * from matching the keys of soup "a/b" in a prefix scan.
     */
    public static String soupPrefix(String soupId) {
        return soupId.length() + ":" + soupId + "/";
    }

    public static String sequenced(String soupId, long sequence) {
        return soupPrefix(soupId) + String.format("%020d", sequence);
    }
}
