package io.souper.soup;

import java.util.List;

/** The soup as last published: ingredient ids in the order they joined, and its scores (null when empty). */
record PublishedSoup(List<String> ingredientIds, CandidateOutcome outcome) {

    static final PublishedSoup EMPTY = new PublishedSoup(List.of(), null);

    PublishedSoup {
        ingredientIds = List.copyOf(ingredientIds);
    }

    boolean empty() {
        return ingredientIds.isEmpty();
    }

    Accuracy heldOut() {
        return outcome == null ? null : outcome.heldOut();
    }
}
