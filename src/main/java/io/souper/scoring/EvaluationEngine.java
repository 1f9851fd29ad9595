package io.souper.scoring;

import ai.djl.Device;
import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.FileCheckpointStore;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.StoredArtifact;
import io.souper.data.LabeledImages;
import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.events.SplitMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Scores what the events name, with no Kafka in sight: one checkpoint alone, a candidate soup
 * (uniform average of its ingredients, materialised in the store) or a logit ensemble, each on
 * the soup's held-out split and, when the definition names them, its test and shift splits.
 * Architectures, splits, running sums and file hashes are cached between calls. Everything the
 * events name is checked first (URIs inside the roots, sha256 when given), and any problem is
 * thrown as an exception with a stable code (see {@link EvaluationFailure#of}).
 *
 * <p>Not thread-safe: the loaded architectures hold mutable weights, so one worker thread owns
 * an engine.
 */
final class EvaluationEngine implements AutoCloseable {

    static final String HELD_OUT = "held-out";
    static final String TEST = "test";
    static final String SHIFT_SCORE_PREFIX = "shift:";

    private record NamedSplit(String name, String uri, LabeledImages images) {
    }

    /** Logits kept per (checkpoint, architecture, split): about 40 bytes an image, so bounded by entries. */
    private static final int LOGITS_CACHE_ENTRIES = 128;

    private record Splits(NamedSplit heldOut, NamedSplit test, List<NamedSplit> shifts) {
        List<NamedSplit> all() {
            List<NamedSplit> out = new ArrayList<>();
            out.add(heldOut);
            if (test != null) {
                out.add(test);
            }
            out.addAll(shifts);
            return out;
        }

        long images() {
            return all().stream().mapToLong(s -> s.images().size()).sum();
        }

        /** Keys of the manifest's scores, in the order of {@link #all()}. */
        List<String> scoreNames() {
            List<String> out = new ArrayList<>();
            out.add(HELD_OUT);
            if (test != null) {
                out.add(TEST);
            }
            shifts.forEach(s -> out.add(SHIFT_SCORE_PREFIX + s.name()));
            return out;
        }
    }

    private final FileCheckpointStore store;
    private final Device device;
    private final int batchSize;
    private final ArchitectureCache architectures;
    private final SplitCache splits;
    private final SoupSums sums;
    private final FileHashes hashes;
    /**
     * Logits of checkpoints already scored, by content, architecture and split: the same checkpoint
     * announced for several soups over the same data (a sweep souped under two policies) is scored
     * once, and an ensemble of scored checkpoints costs no forward pass.
     */
    private final BoundedLru<String, ScoreResult> logits;
    /** Hyper-parameters of checkpoints scored here, for the manifests of candidates made of them. */
    private final BoundedLru<String, Map<String, String>> hyperParameters;

    EvaluationEngine(EvaluatorSettings settings, Device device) {
        this.store = new FileCheckpointStore(settings.storeRoots());
        this.device = device;
        this.batchSize = settings.batchSize();
        this.architectures = new ArchitectureCache(device, settings.architectureCacheSize());
        this.splits = new SplitCache(settings.storeRoots(), settings.dataCacheSize());
        this.sums = new SoupSums(settings.workDir().resolve("running-sums"), settings.runningSumCacheSize());
        this.hashes = new FileHashes(settings.hashCacheSize());
        this.hyperParameters = new BoundedLru<>(settings.hashCacheSize(), (k, v) -> { });
        this.logits = new BoundedLru<>(LOGITS_CACHE_ENTRIES, (k, v) -> { });
    }

    String device() {
        return Devices.describe(device);
    }

    FileCheckpointStore store() {
        return store;
    }

    SoupSums sums() {
        return sums;
    }

    FileHashes hashes() {
        return hashes;
    }

    SplitCache splits() {
        return splits;
    }

    /** Scores one checkpoint alone. */
    Evaluation checkpoint(CheckpointReady event, SoupDefinition soup) {
        ResolvedIngredient self = resolve(IngredientRef.newBuilder().setCheckpointId(event.getCheckpointId())
                .setUri(event.getUri()).setSha256(event.getSha256()).build());
        Splits data = splits(soup, true);
        hyperParameters.put(key(soup.getSoupId(), event.getCheckpointId()), Map.copyOf(event.getHyperParameters()));
        Scorer scorer = new Scorer(architecture(soup), batchSize);
        MemberScores member = new MemberScores(self, soup, scorer);
        List<SplitMetrics> scores = new ArrayList<>();
        for (NamedSplit split : data.all()) {
            scores.add(metrics(split.name(), member.score(split)));
        }
        return evaluation(List.of(withSha(self)), scores, data, null, member.imagesScored);
    }

    /** One checkpoint's scores, split by split, from the logits cache or by loading it (once) and scoring. */
    private final class MemberScores {
        private final ResolvedIngredient checkpoint;
        private final SoupDefinition soup;
        private final Scorer scorer;
        private boolean loaded;
        private long imagesScored;

        MemberScores(ResolvedIngredient checkpoint, SoupDefinition soup, Scorer scorer) {
            this.checkpoint = checkpoint;
            this.soup = soup;
            this.scorer = scorer;
        }

        ScoreResult score(NamedSplit split) {
            String cacheKey = checkpoint.sha256() + '\u0000' + soup.getArchitectureUri() + '\u0000' + split.uri();
            Optional<ScoreResult> known = logits.get(cacheKey);
            if (known.isPresent()) {
                return known.get();
            }
            if (!loaded) {
                load(scorer.architecture(), checkpoint.path());
                loaded = true;
            }
            ScoreResult result = scorer.scoreWithLogits(split.images());
            imagesScored += result.total();
            logits.put(cacheKey, result);
            return result;
        }
    }

    /**
     * Scores the uniform average of the request's ingredients: the soup in join order, then the
     * checkpoint tried. The average is stored content-addressed (a repeated request finds its bytes
     * already there) with a manifest naming the ingredients and, once scored, the scores.
     */
    Evaluation candidate(EvaluationRequest request, SoupDefinition soup) {
        List<ResolvedIngredient> ingredients = resolveAll(request);
        TorchScriptArchitecture architecture = architecture(soup);
        Splits data = splits(soup, request.getReportSplits());
        List<ResolvedIngredient> base = ingredients.subList(0, ingredients.size() - 1);
        ResolvedIngredient tried = ingredients.get(ingredients.size() - 1);
        ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE,
                ingredients.stream().map(i -> new ArtifactManifest.Ingredient(i.checkpointId(), i.ref().getUri(),
                        i.sha256(), hyperParameters.get(key(soup.getSoupId(), i.checkpointId())).orElse(Map.of())))
                        .toList(), Map.of());
        StoredArtifact artifact = store.writeArtifact(
                out -> sums.writeAverage(soup.getSoupId(), base, tried, out), manifest);
        load(architecture, artifact.path());
        List<SplitMetrics> scores = score(new Scorer(architecture, batchSize), data);
        // a held-out-only evaluation must not erase the test and shift scores a report put there
        Map<String, Double> manifestScores = new TreeMap<>(store.readManifest(artifact.sha256())
                .map(ArtifactManifest::scores).orElse(Map.of()));
        List<String> names = data.scoreNames();
        for (int i = 0; i < names.size(); i++) {
            manifestScores.put(names.get(i), scores.get(i).getAccuracy());
        }
        store.updateManifest(artifact.sha256(), manifest.withScores(manifestScores));
        return evaluation(ingredients.stream().map(EvaluationEngine::withSha).toList(), scores, data, artifact,
                data.images());
    }

    /** The ensemble baseline: top-1 accuracy of the mean of the ingredients' logits, on every split. */
    Evaluation ensemble(EvaluationRequest request, SoupDefinition soup) {
        List<ResolvedIngredient> members = resolveAll(request);
        TorchScriptArchitecture architecture = architecture(soup);
        Splits data = splits(soup, request.getReportSplits());
        Scorer scorer = new Scorer(architecture, batchSize);
        // Members scored before (as checkpoints) cost nothing; the others are loaded once each.
        List<NamedSplit> all = data.all();
        List<EnsembleLogits> ensembles = new ArrayList<>();
        long images = 0;
        for (ResolvedIngredient ingredient : members) {
            MemberScores member = new MemberScores(ingredient, soup, scorer);
            for (int i = 0; i < all.size(); i++) {
                ScoreResult result = member.score(all.get(i));
                if (ensembles.size() <= i) {
                    ensembles.add(new EnsembleLogits(all.get(i).name(), all.get(i).images().labels(), result.classes()));
                }
                ensembles.get(i).add(result);
            }
            images += member.imagesScored;
        }
        List<SplitMetrics> scores = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            scores.add(metrics(all.get(i).name(), ensembles.get(i).result()));
        }
        return evaluation(members.stream().map(EvaluationEngine::withSha).toList(), scores, data, null, images);
    }

    private List<ResolvedIngredient> resolveAll(EvaluationRequest request) {
        List<IngredientRef> refs = request.getIngredients();
        if (refs.isEmpty()) {
            throw new EvaluatorException(EvaluatorErrorCode.INVALID_EVENT, "request " + request.getRequestId()
                    + " names no ingredients");
        }
        Set<String> seen = new HashSet<>();
        List<ResolvedIngredient> out = new ArrayList<>(refs.size());
        for (IngredientRef ref : refs) {
            if (ref.getCheckpointId() == null || ref.getCheckpointId().isBlank()) {
                throw new EvaluatorException(EvaluatorErrorCode.INVALID_EVENT, "request " + request.getRequestId()
                        + " has an ingredient without a checkpoint id");
            }
            if (!seen.add(ref.getCheckpointId())) {
                throw new EvaluatorException(EvaluatorErrorCode.INVALID_EVENT, "request " + request.getRequestId()
                        + " names checkpoint " + ref.getCheckpointId() + " twice");
            }
            out.add(resolve(ref));
        }
        return out;
    }

    /** Inside the roots, an existing file, and the announced hash if there is one (memoised). */
    private ResolvedIngredient resolve(IngredientRef ref) {
        Path path = store.resolve(ref.getUri());
        String sha = ref.getSha256() != null ? hashes.verify(path, ref.getSha256()) : hashes.sha256(path);
        return new ResolvedIngredient(ref, path, sha);
    }

    private TorchScriptArchitecture architecture(SoupDefinition soup) {
        return architectures.get(store.resolve(soup.getArchitectureUri()));
    }

    /** The soup's held-out split, and its test and shift splits when {@code reported} (and defined). */
    private Splits splits(SoupDefinition soup, boolean reported) {
        NamedSplit heldOut = new NamedSplit(HELD_OUT, soup.getHeldOutUri(), splits.get(soup.getHeldOutUri()));
        NamedSplit test = !reported || soup.getTestUri() == null ? null
                : new NamedSplit(TEST, soup.getTestUri(), splits.get(soup.getTestUri()));
        List<NamedSplit> shifts = new ArrayList<>();
        if (reported) {
            new TreeMap<>(soup.getShiftUris()).forEach((name, uri) -> shifts.add(new NamedSplit(name, uri, splits.get(uri))));
        }
        return new Splits(heldOut, test, shifts);
    }

    private static void load(TorchScriptArchitecture architecture, Path weights) {
        try (SafetensorsReader reader = SafetensorsReader.open(weights)) {
            architecture.loadStateDict(reader);
        }
    }

    /** Scores of the loaded weights, in the order of {@link Splits#all()}. */
    private static List<SplitMetrics> score(Scorer scorer, Splits data) {
        List<SplitMetrics> out = new ArrayList<>();
        for (NamedSplit split : data.all()) {
            out.add(metrics(split.name(), scorer.score(split.images())));
        }
        return out;
    }

    private static SplitMetrics metrics(String name, ScoreResult result) {
        return SplitMetrics.newBuilder().setSplit(name).setCorrect(result.correct()).setTotal(result.total())
                .setAccuracy(result.accuracy()).build();
    }

    /** {@code scores} are in the order of {@link Splits#all()}: held-out, test if any, then the shifts. */
    private static Evaluation evaluation(List<IngredientRef> ingredients, List<SplitMetrics> scores,
                                         Splits data, StoredArtifact artifact, long images) {
        int firstShift = data.test() == null ? 1 : 2;
        return new Evaluation(ingredients, scores.get(0), data.test() == null ? null : scores.get(1),
                scores.subList(firstShift, scores.size()), artifact, images);
    }

    private static IngredientRef withSha(ResolvedIngredient i) {
        return IngredientRef.newBuilder(i.ref()).setSha256(i.sha256()).build();
    }

    private static String key(String soupId, String checkpointId) {
        return soupId + '\u0000' + checkpointId;
    }

    @Override
    public void close() {
        architectures.close();
    }
}
