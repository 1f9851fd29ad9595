package io.souper.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Whether a service can reach the Kafka cluster now, and the two log lines an outage deserves:
 * one when the broker becomes unreachable and one when it is back, however many calls the
 * service's clients retry meanwhile (each of them retries on its own, with backoff; this only
 * watches and tells). Readiness probes use {@link #reachable()}: a service whose broker is gone
 * cannot do its work, but it must not stop, since the broker will be back.
 *
 * <p>A small admin client asks the cluster to describe itself every {@code interval}. A failure
 * counts only when {@link Faults} says it is the world's (a timeout, a disconnect); the broker is
 * declared unreachable after {@value #FAILURES_BEFORE_UNREACHABLE} such failures in a row, so one
 * slow answer on a loaded machine is not an outage.
 */
public final class BrokerWatch implements AutoCloseable {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    static final int FAILURES_BEFORE_UNREACHABLE = 2;
    /** The messages the two lines start with (operators grep for them; the outage test counts them). */
    public static final String UNREACHABLE = "broker unreachable";
    public static final String BACK = "broker back";
    private static final Logger LOG = LoggerFactory.getLogger(BrokerWatch.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    private final String service;
    private final String bootstrapServers;
    private final Admin admin;
    private final Duration interval;
    private final Thread thread;
    private volatile boolean reachable = true;
    private volatile boolean closed;
    private int failuresInARow;
    private boolean cannotWatchLogged;
    private long unreachableSince;

    private BrokerWatch(String service, KafkaClientConfigs clients, Duration interval) {
        this.service = service;
        this.bootstrapServers = clients.bootstrapServers();
        this.interval = interval;
        Map<String, Object> config = new HashMap<>(clients.admin());
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, service + "-broker-watch");
        this.admin = Admin.create(config);
        this.thread = new Thread(this::run, service + "-broker-watch");
        thread.setDaemon(true);
    }

    /** Starts watching the cluster {@code clients} connect to, on behalf of {@code service} (named in the lines). */
    public static BrokerWatch start(String service, KafkaClientConfigs clients) {
        return start(service, clients, DEFAULT_INTERVAL);
    }

    public static BrokerWatch start(String service, KafkaClientConfigs clients, Duration interval) {
        BrokerWatch watch = new BrokerWatch(service, clients, interval);
        watch.thread.start();
        return watch;
    }

    /** False from the moment the broker is declared unreachable until it answers again. */
    public boolean reachable() {
        return reachable;
    }

    private void run() {
        while (!closed) {
            check();
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void check() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) CALL_TIMEOUT.toMillis()))
                    .nodes().get(CALL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
            failuresInARow = 0;
            if (!reachable) {
                reachable = true;
                LOG.info("{} for {} at {} after about {} s; its clients resume", BACK, service, bootstrapServers,
                        (System.nanoTime() - unreachableSince) / 1_000_000_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            Throwable failure = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (closed) {
                return;
            }
            if (!Faults.isWorld(failure)) {
                // not an outage (e.g. not authorised to describe the cluster): say so once, keep the state
                if (!cannotWatchLogged) {
                    cannotWatchLogged = true;
                    LOG.warn("cannot watch the broker for {}: {}", service, failure.toString());
                }
                return;
            }
            if (failuresInARow++ == 0) {
                unreachableSince = System.nanoTime(); // the outage is counted from its first failed call
            }
            if (failuresInARow == FAILURES_BEFORE_UNREACHABLE && reachable) {
                reachable = false;
                LOG.warn("{} for {} at {} ({}); retrying with backoff until it is back, nothing is dead-lettered "
                        + "for it", UNREACHABLE, service, bootstrapServers, failure.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(CALL_TIMEOUT.toMillis() + 2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(2));
    }
}
