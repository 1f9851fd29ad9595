package io.souper.streams;

import io.souper.kafka.StaticMembershipIds;
import java.nio.file.Path;

/**
 * This souper instance's stable identity in the consumer group (static membership,
 * {@code group.instance.id}): an instance restarted after a kill rejoins under the same id and gets
 * its tasks back without a rebalance, and finds their state where it left it. The id belongs to the
 * state directory, not to the host, because the state is what makes giving the tasks back worth it:
 * kept in the file {@value #FILE} there, created once with a random id (an operator may write one
 * first, e.g. the pod name of a StatefulSet), unless one is given ({@code --instance-id}, e.g. the pod name
 * of a StatefulSet, which then wins over the file). Two live instances must never share an id or a state
 * directory.
 */
final class InstanceId {

    static final String FILE = "souper-instance-id";

    private InstanceId() {
    }

    /** The given id if there is one, else the state directory's. */
    static String of(String given, Path stateDir) {
        return given != null ? check(given, "--instance-id") : of(stateDir);
    }

    static String check(String id, String where) {
        return StaticMembershipIds.check(id, where);
    }

    static String of(Path stateDir) {
        return StaticMembershipIds.keptIn(stateDir, FILE, "souper-");
    }
}
