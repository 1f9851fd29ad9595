package io.souper.soup;

import java.util.Map;
import java.util.Set;

/** Small builders shared by the soup tests; every accuracy is out of 1000. */
final class Fixtures {

    static final long NOW = 1_700_000_000_000L;

    private Fixtures() {
    }

    static Accuracy acc(long correct) {
        return new Accuracy(correct, 1000);
    }

    static CheckpointScored ck(String id, long correct) {
        return new CheckpointScored(id, "file:///store/" + id + ".safetensors", "sha-" + id, "run-" + id,
                Map.of("lr", "0.01", "seed", id), acc(correct), null);
    }

    static CandidateScored answer(CandidateRequest request, long correct) {
        return new CandidateScored(request.requestId(), request.baseVersion(), Set.copyOf(request.ingredientIds()),
                acc(correct));
    }

    static CandidateFailed failure(CandidateRequest request) {
        return new CandidateFailed(request.requestId(), request.baseVersion(), Set.copyOf(request.ingredientIds()),
                "SHAPE_MISMATCH", "conv1.weight differs");
    }
}
