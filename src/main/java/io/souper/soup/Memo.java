package io.souper.soup;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Candidate outcomes by ingredient SET. Sets are bit sets of arrival numbers: compact, and equal
 * whatever order the ingredients were listed in. Results are never thrown away, even for a set the
 * soup no longer needs: a later replay may need it again.
 */
final class Memo {

    private final Map<BitSet, CandidateOutcome> outcomes = new HashMap<>();

    CandidateOutcome get(BitSet set) {
        return outcomes.get(set);
    }

    /** The first outcome for a set stands: a set is only ever requested once. */
    void put(BitSet set, CandidateOutcome outcome) {
        outcomes.putIfAbsent((BitSet) set.clone(), outcome);
    }

    int size() {
        return outcomes.size();
    }

    /** Entries in a canonical order (by size, then by arrival numbers), so that encoding is deterministic. */
    List<Entry> entries() {
        List<Entry> list = new ArrayList<>();
        outcomes.forEach((set, outcome) -> list.add(new Entry(set.stream().boxed().toList(), outcome)));
        list.sort(Comparator.comparingInt((Entry e) -> e.set().size()).thenComparing(Entry::set, Memo::lexicographic));
        return list;
    }

    private static int lexicographic(List<Integer> a, List<Integer> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = Integer.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    static BitSet bits(List<Integer> arrivals) {
        BitSet set = new BitSet();
        arrivals.forEach(set::set);
        return set;
    }

    /** One memo entry as stored: the set as sorted arrival numbers. */
    record Entry(List<Integer> set, CandidateOutcome outcome) {
    }
}
