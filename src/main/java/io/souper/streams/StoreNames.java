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
    /**
     * soupPrefix(soup id) + offset -> WaitingResult: a result waiting for its soup's definition.
     * (Named apart from the old "soup-waiting" store, whose values were DeadLetter records.)
     */
    public static final String WAITING = "soup-waiting-results";
    /** soup id -> how many results wait for its definition. */
    public static final String WAITING_COUNTS = "soup-waiting-counts";

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

    /** The soup id of a key made by {@link #sequenced}. */
    public static String soupOf(String sequencedKey) {
        int colon = sequencedKey.indexOf(':');
        int length = Integer.parseInt(sequencedKey.substring(0, colon));
        return sequencedKey.substring(colon + 1, colon + 1 + length);
    }
}
