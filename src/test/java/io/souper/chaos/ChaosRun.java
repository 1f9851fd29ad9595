package io.souper.chaos;

import io.souper.checkpoint.Sha256;
import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.SoupDefinition;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.web.SoupApiClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The seeded chaos run (issue 12, item 3). On one cluster of separate JVMs (broker + registry, two
 * soupers, two evaluators) it first makes {@code soups} undisturbed soups, then their twins (same
 * tensors, same order) while it SIGKILLs soupers and evaluators at seeded moments of the twins'
 * progress and restarts the broker once. Checkpoints go to each soup one at a time (the next when
 * the soup has decided on the previous), so arrival order, and with it the version history, is
 * fixed by the seed alone. Then each twin's versions (ingredients, held-out score, artifact hash)
 * and decisions must equal its undisturbed soup's, no decision may be on souper.decisions twice,
 * and every checkpoint must be in the soup, rejected, or failed with a reason. While a souper is
 * down, the other must answer GET /soups/{id} for every soup (standby replicas). Not a test by
 * itself: ChaosShortTest runs a small plan in CI, bench/chaos/run.sh the full one.
 */
final class ChaosRun {

    record Plan(long seed, int soups, int checkpointsPerSoup, int kills, boolean brokerRestart, int partitions,
                Duration timeout) {
    }

    /** One kill (or the broker restart) and what it cost. */
    record Outage(String victim, double downSeconds, double restartToReadySeconds, double restartToSettledSeconds,
                  long queries, long answered, List<String> soupsNeverAnswered) {
    }

    record Report(Plan plan, double baselineSeconds, double chaosSeconds, List<Outage> outages,
                  Map<String, SoupOutcome> baseline, Map<String, SoupOutcome> chaos, List<String> differences,
                  List<String> problems, List<String> deadLetters, List<String> crashes) {

        String summary() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "chaos seed %d: %d soups x %d checkpoints, %d kills%s, %d partitions%n",
                    plan.seed(), plan.soups(), plan.checkpointsPerSoup(), plan.kills(),
                    plan.brokerRestart() ? " + broker restart" : "", plan.partitions()));
            s.append(String.format(Locale.ROOT, "undisturbed run %.1f s, run under chaos %.1f s%n", baselineSeconds,
                    chaosSeconds));
            s.append(String.format(Locale.ROOT, "%-12s %7s %9s %11s %9s %s%n", "victim", "down s", "ready s",
                    "settled s", "answered", "soups never answered"));
            for (Outage o : outages) {
                s.append(String.format(Locale.ROOT, "%-12s %7.1f %9.1f %11.1f %9s %s%n", o.victim(), o.downSeconds(),
                        o.restartToReadySeconds(), o.restartToSettledSeconds(),
                        o.queries() == 0 ? "-" : o.answered() + "/" + o.queries(), o.soupsNeverAnswered()));
            }
            long versions = chaos.values().stream().mapToLong(o -> o.versions().size()).sum();
            long decisions = chaos.values().stream().mapToLong(o -> o.decisions().size()).sum();
            long multi = chaos.values().stream().filter(o -> o.last() != null && o.last().ingredients().size() > 1).count();
            s.append(String.format(Locale.ROOT, "under chaos: %d versions, %d decisions, %d of %d soups with 2+ ingredients%n",
                    versions, decisions, multi, chaos.size()));
            s.append("differences from the undisturbed run: ").append(differences.isEmpty() ? "none" : differences)
                    .append('\n');
            s.append("problems (duplicates, unaccounted checkpoints): ").append(problems.isEmpty() ? "none" : problems)
                    .append('\n');
            s.append("services that exited on their own (restarted by the harness): ")
                    .append(crashes.isEmpty() ? "none" : crashes).append('\n');
            s.append("dead letters: ").append(deadLetters.isEmpty() ? "none" : deadLetters).append('\n');
            return s.toString();
        }
    }

    private final Plan plan;
    private final Path dir;
    private final String classpath;

    ChaosRun(Plan plan, Path dir, String classpath) {
        this.plan = plan;
        this.dir = dir;
        this.classpath = classpath;
    }

    Report run() throws Exception {
        ChaosInputs inputs = ChaosInputs.make(Files.createDirectories(dir.resolve("store")), plan.seed(),
                plan.soups(), plan.checkpointsPerSoup());
        try (ChaosCluster cluster = new ChaosCluster(dir, classpath, plan.partitions(), inputs.store)) {
            cluster.startAll(Duration.ofSeconds(300));
            KafkaClientConfigs clients = cluster.clients();
            SouperTopics topics = clients.topics();
            try (KafkaProducer<String, SoupDefinition> definitions = new KafkaProducer<>(clients.producer("chaos-definitions"),
                    topics.definitions.keySerde().serializer(), topics.definitions.valueSerde().serializer())) {
                List<String> all = new ArrayList<>();
                for (int s = 0; s < plan.soups(); s++) {
                    all.add(soupId("b", s));
                    all.add(soupId("c", s));
                }
                for (String soup : all) {
                    definitions.send(new ProducerRecord<>(topics.definitions.name(), soup, definition(soup, inputs)))
                            .get(30, TimeUnit.SECONDS);
                }
            }

            long t0 = System.nanoTime();
            Feeder baseline = new Feeder(cluster, topics, inputs, "b", false);
            baseline.runToTheEnd(plan.timeout());
            double baselineSeconds = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            Feeder chaos = new Feeder(cluster, topics, inputs, "c", true);
            Thread feeding = new Thread(() -> chaos.runToTheEnd(plan.timeout()), "chaos-feeder");
            feeding.setDaemon(true);
            feeding.start();
            List<Outage> outages = new ChaosMonkey(cluster, plan, chaos).unleash();
            feeding.join(plan.timeout().toMillis());
            chaos.rethrow();
            if (feeding.isAlive()) {
                throw new IllegalStateException("the soups under chaos did not settle within " + plan.timeout());
            }
            double chaosSeconds = (System.nanoTime() - t1) / 1e9;

            Map<String, SoupOutcome> baselineOutcome = SoupOutcome.read(clients, topics.updates, topics.decisions,
                    baseline.published());
            Map<String, SoupOutcome> chaosOutcome = SoupOutcome.read(clients, topics.updates, topics.decisions,
                    chaos.published());
            List<String> differences = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (int s = 0; s < plan.soups(); s++) {
                SoupOutcome b = baselineOutcome.get(soupId("b", s));
                SoupOutcome c = chaosOutcome.get(soupId("c", s));
                problems.addAll(b.problems());
                problems.addAll(c.problems());
                if (!comparable(b.versions()).equals(comparable(c.versions()))) {
                    differences.add(soupId("c", s) + " versions " + c.versions() + " != undisturbed " + b.versions());
                }
                if (!b.decisions().equals(c.decisions())) {
                    differences.add(soupId("c", s) + " decisions " + c.decisions() + " != undisturbed " + b.decisions());
                }
            }
            List<String> deadLetters = SoupOutcome.readAll(clients, topics.deadLetters).stream()
                    .map(r -> describe(r.key(), r.value())).toList();
            return new Report(plan, baselineSeconds, chaosSeconds, outages, baselineOutcome, chaosOutcome,
                    differences, problems, deadLetters, List.copyOf(cluster.crashes));
        }
    }

    /**
     * A soup of one ingredient is that checkpoint's own file, whose hash differs between the twins
     * by design (their metadata differ); it is named by its checkpoint instead. Averages of two or
     * more carry the averager's metadata only, so their hashes must be equal.
     */
    static List<SoupOutcome.Version> comparable(List<SoupOutcome.Version> versions) {
        return versions.stream().map(v -> v.ingredients().size() == 1
                ? new SoupOutcome.Version(v.version(), v.ingredients(), v.heldOutCorrect(),
                        "the checkpoint's own file " + v.ingredients().get(0))
                : v).toList();
    }

    private static String describe(String key, DeadLetter d) {
        return key + ": " + d.getReasonCode() + " from " + d.getComponent() + " (" + d.getMessage() + ")";
    }

    static String soupId(String twin, int s) {
        return String.format(Locale.ROOT, "%s%02d", twin, s);
    }

    private static SoupDefinition definition(String soup, ChaosInputs inputs) {
        return SoupDefinition.newBuilder().setSoupId(soup).setArchitectureUri(inputs.architecture.toUri().toString())
                .setHeldOutUri(ChaosInputs.HELD_OUT).setCreatedAt(Instant.now()).build();
    }

    /**
     * Publishes each soup's checkpoints one at a time: the next when the soup has decided on every
     * checkpoint so far and scores nothing, asked of whichever souper answers.
     */
    static final class Feeder {
        private final ChaosCluster cluster;
        private final SouperTopics topics;
        private final ChaosInputs inputs;
        private final String twin;
        private final boolean chaos;
        private final int[] published;
        private final AtomicLong settled = new AtomicLong();
        private volatile Throwable failure;
        private volatile boolean done;

        Feeder(ChaosCluster cluster, SouperTopics topics, ChaosInputs inputs, String twin, boolean chaos) {
            this.cluster = cluster;
            this.topics = topics;
            this.inputs = inputs;
            this.twin = twin;
            this.chaos = chaos;
            this.published = new int[inputs.checkpoints.size()];
        }

        /** Checkpoints decided so far, over all soups. */
        long settled() {
            return settled.get();
        }

        long total() {
            return (long) published.length * inputs.checkpoints.get(0).size();
        }

        boolean done() {
            return done || failure != null;
        }

        void rethrow() {
            if (failure != null) {
                throw new IllegalStateException("feeding the soups failed", failure);
            }
        }

        Map<String, List<String>> published() {
            Map<String, List<String>> out = new LinkedHashMap<>();
            for (int s = 0; s < published.length; s++) {
                List<String> ids = new ArrayList<>();
                for (int k = 0; k < published[s]; k++) {
                    ids.add(String.format(Locale.ROOT, "k%02d", k));
                }
                out.put(soupId(twin, s), ids);
            }
            return out;
        }

        void runToTheEnd(Duration timeout) {
            try (KafkaProducer<String, CheckpointReady> producer = new KafkaProducer<>(
                    cluster.clients().producer("chaos-feeder-" + twin), topics.checkpoints.keySerde().serializer(),
                    topics.checkpoints.valueSerde().serializer())) {
                int perSoup = inputs.checkpoints.get(0).size();
                long deadline = System.nanoTime() + timeout.toNanos();
                int[] decided = new int[published.length];
                while (Arrays.stream(decided).anyMatch(d -> d < perSoup)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("soups did not settle within " + timeout + ": decided "
                                + Arrays.toString(decided) + " of " + perSoup);
                    }
                    for (int s = 0; s < published.length; s++) {
                        if (decided[s] == perSoup) {
                            continue;
                        }
                        if (published[s] > 0) {
                            Optional<SoupApiClient.SoupStatus> status = ask(soupId(twin, s));
                            if (status.isEmpty() || !status.get().settledOn(published[s])) {
                                continue;
                            }
                            decided[s] = published[s];
                            settled.set(Arrays.stream(decided).sum());
                        }
                        if (published[s] < perSoup) {
                            publish(producer, s, published[s]);
                            published[s]++;
                        }
                    }
                    Thread.sleep(100);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                done = true;
            }
        }

        private void publish(KafkaProducer<String, CheckpointReady> producer, int s, int k) throws Exception {
            String soup = soupId(twin, s);
            String id = String.format(Locale.ROOT, "%s-k%02d", soup, k);
            Path file = chaos ? inputs.checkpoints.get(s).get(k).chaos() : inputs.checkpoints.get(s).get(k).baseline();
            CheckpointReady event = CheckpointReady.newBuilder().setCheckpointId(id).setSoupId(soup)
                    .setUri(file.toUri().toString()).setSha256(Sha256.of(file)).setRunId("run-" + id)
                    .setHyperParameters(Map.of("k", "" + k)).setProducedAt(Instant.now()).build();
            // a broker restart may be under way: the idempotent producer retries until delivery.timeout.ms
            while (true) {
                try {
                    producer.send(new ProducerRecord<>(topics.checkpoints.name(), soup, event)).get(150, TimeUnit.SECONDS);
                    return;
                } catch (java.util.concurrent.ExecutionException e) {
                    System.err.println("chaos feeder: publishing " + id + " failed, again: " + e.getCause());
                }
            }
        }

        /** The soup from either souper; empty while neither answers. */
        private Optional<SoupApiClient.SoupStatus> ask(String soup) {
            for (int i = 0; i < 2; i++) {
                try {
                    Optional<SoupApiClient.SoupStatus> status = new SoupApiClient(cluster.souperUrl(i)).soup(soup);
                    if (status.isPresent()) {
                        return status;
                    }
                } catch (SoupApiClient.SoupApiException unavailable) {
                    // down, starting or rebalancing: the other may answer
                }
            }
            return Optional.empty();
        }
    }

    /** The kills, at seeded fractions of the twins' progress, one at a time. */
    static final class ChaosMonkey {
        private final ChaosCluster cluster;
        private final Plan plan;
        private final Feeder feeder;
        private final SplittableRandom random;

        ChaosMonkey(ChaosCluster cluster, Plan plan, Feeder feeder) {
            this.cluster = cluster;
            this.plan = plan;
            this.feeder = feeder;
            this.random = new SplittableRandom(plan.seed() * 31 + 7);
        }

        List<Outage> unleash() throws Exception {
            double[] at = new double[plan.kills()];
            for (int i = 0; i < at.length; i++) {
                at[i] = 0.05 + 0.8 * random.nextDouble();
            }
            Arrays.sort(at);
            int brokerAfter = plan.brokerRestart() ? random.nextInt(Math.max(1, plan.kills())) : -1;
            List<Outage> outages = new ArrayList<>();
            for (int i = 0; i < at.length; i++) {
                while (feeder.settled() < at[i] * feeder.total() && !feeder.done()) {
                    Thread.sleep(50);
                }
                Thread.sleep(random.nextInt(1500)); // not always just after a decision
                int victim = random.nextInt(4);
                boolean souper = victim < 2;
                int index = victim % 2;
                outages.add(souper ? killSouper(index) : killEvaluator(index));
                System.out.println("chaos: " + outages.get(outages.size() - 1));
                if (i == brokerAfter) {
                    outages.add(restartBroker());
                    System.out.println("chaos: " + outages.get(outages.size() - 1));
                }
            }
            return outages;
        }

        private Outage killSouper(int index) throws Exception {
            ServiceProcess victim = cluster.soupers.get(index);
            int other = 1 - index;
            long down = System.nanoTime();
            victim.kill();
            QueryProbe probe = new QueryProbe(cluster.souperUrl(other), feeder.published().keySet()).start();
            Thread.sleep(500 + random.nextInt(3000));
            long restart = System.nanoTime();
            victim.start();
            ChaosCluster.awaitReady(victim, cluster.souperUrl(index), Duration.ofSeconds(180));
            long ready = System.nanoTime();
            awaitAnswersEverySoup(victim, cluster.souperUrl(index));
            long settled = System.nanoTime();
            QueryProbe.Result probed = probe.stop();
            return new Outage(victim.name(), (restart - down) / 1e9, (ready - restart) / 1e9, (settled - restart) / 1e9,
                    probed.queries(), probed.answered(), probed.neverAnswered());
        }

        private Outage killEvaluator(int index) throws Exception {
            ServiceProcess victim = cluster.evaluators.get(index);
            long down = System.nanoTime();
            victim.kill();
            Thread.sleep(500 + random.nextInt(3000));
            long restart = System.nanoTime();
            victim.start();
            ChaosCluster.awaitReady(victim, cluster.evaluatorUrl(index), Duration.ofSeconds(180));
            long ready = System.nanoTime();
            return new Outage(victim.name(), (restart - down) / 1e9, (ready - restart) / 1e9, (ready - restart) / 1e9,
                    0, 0, List.of());
        }

        /** SIGKILL of the broker and registry; the four services must ride it out on their own. */
        private Outage restartBroker() throws Exception {
            long down = System.nanoTime();
            cluster.broker.kill();
            Thread.sleep(1000 + random.nextInt(3000));
            long restart = System.nanoTime();
            cluster.startBroker(Duration.ofSeconds(120));
            long ready = System.nanoTime();
            for (int i = 0; i < 2; i++) {
                ChaosCluster.awaitReady(cluster.evaluators.get(i), cluster.evaluatorUrl(i), Duration.ofSeconds(180));
                awaitAnswersEverySoup(cluster.soupers.get(i), cluster.souperUrl(i));
            }
            long settled = System.nanoTime();
            return new Outage("broker", (restart - down) / 1e9, (ready - restart) / 1e9, (settled - restart) / 1e9,
                    0, 0, List.of());
        }

        private void awaitAnswersEverySoup(ServiceProcess souper, String url) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            for (String soup : feeder.published().keySet()) {
                while (ChaosCluster.status(url + "/soups/" + soup) != 200) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(souper.name() + " does not answer for soup " + soup);
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    /** Asks one souper for every soup, round after round, while the other is down. */
    static final class QueryProbe {
        record Result(long queries, long answered, List<String> neverAnswered) {
        }

        private final String url;
        private final List<String> soups;
        private final TreeSet<String> answeredOnce = new TreeSet<>();
        private volatile boolean running = true;
        private long queries;
        private long answered;
        private Thread thread;

        QueryProbe(String url, java.util.Collection<String> soups) {
            this.url = url;
            this.soups = List.copyOf(soups);
        }

        QueryProbe start() {
            thread = new Thread(() -> {
                while (running) {
                    for (String soup : soups) {
                        queries++;
                        if (ChaosCluster.status(url + "/soups/" + soup) == 200) {
                            answered++;
                            answeredOnce.add(soup);
                        }
                    }
                }
            }, "query-probe");
            thread.start();
            return this;
        }

        Result stop() throws InterruptedException {
            running = false;
            thread.join();
            List<String> never = soups.stream().filter(s -> !answeredOnce.contains(s)).toList();
            return new Result(queries, answered, never);
        }
    }

    /**
     * {@code seed soups checkpointsPerSoup kills brokerRestart partitions timeoutSeconds dir}; the
     * child JVMs run from target/souper.jar.
     */
    public static void main(String[] args) throws Exception {
        Plan plan = new Plan(Long.parseLong(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                Integer.parseInt(args[3]), Boolean.parseBoolean(args[4]), Integer.parseInt(args[5]),
                Duration.ofSeconds(Long.parseLong(args[6])));
        Path dir = Files.createDirectories(Path.of(args[7]));
        try {
            Report report = new ChaosRun(plan, dir, Path.of("target/souper.jar").toAbsolutePath().toString()).run();
            System.out.print(report.summary());
            boolean ok = report.differences().isEmpty() && report.problems().isEmpty()
                    && report.crashes().isEmpty()
                    && report.outages().stream().allMatch(o -> o.soupsNeverAnswered().isEmpty());
            System.exit(ok ? 0 : 1);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(2);
        }
    }
}
