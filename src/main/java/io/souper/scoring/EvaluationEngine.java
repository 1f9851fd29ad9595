package io.souper.scoring;

import ai.djl.Device;
import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.FileCheckpointStore;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.StoredArtifact;
import io.souper.data.TensorSplit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores what a {@link ScoringRequest} names: one checkpoint alone, a candidate soup (uniform
 * average of its ingredients, materialised in the store) or a logit ensemble, on the soup's
 * held-out split and, when asked and defined, its test and shift splits. Architectures, splits,
 * running sums and file hashes are cached between calls. Every URI is checked first (inside the
 * roots, sha256 when given), and any problem is thrown as an exception with a stable code.
 *
 * <p>Not thread-safe: the loaded architectures hold mutable weights, so one worker thread owns
 * an engine.
 */
public final class EvaluationEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EvaluationEngine.class);

    /** Score names in an average's manifest: held-out, test, and {@code shift:<name>}. */
    static final String HELD_OUT = "held-out";
    static final String TEST = "test";
    static final String SHIFT_SCORE_PREFIX = "shift:";

    /** Logits kept per (checkpoint, architecture, split): about 40 bytes an image, so bounded by entries. */
    private static final int LOGITS_CACHE_ENTRIES = 128;

    private record NamedSplit(String name, String uri, TensorSplit images) {
    }

    /** The splits one request scores: held-out first, then test if any, then the shifts by name. */
    private record Splits(NamedSplit heldOut, Optional<NamedSplit> test, List<NamedSplit> shifts) {
        List<NamedSplit> all() {
            List<NamedSplit> out = new ArrayList<>();
            out.add(heldOut);
            test.ifPresent(out::add);
            out.addAll(shifts);
            return out;
        }

        long images() {
            return all().stream().mapToLong(s -> s.images().size()).sum();
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

    public EvaluationEngine(ScoringSettings settings, Device device) {
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

    /** "cpu" or "gpu:N": where this engine scores. */
    public String device() {
        return Devices.describe(device);
    }

    public ScoringResult score(ScoringRequest request) {
        return switch (request.what()) {
            case CHECKPOINT -> checkpoint(request);
            case UNIFORM_AVERAGE -> candidate(request);
            case ENSEMBLE -> ensemble(request);
        };
    }

    /** Scores one checkpoint alone, on every split of the soup. */
    private ScoringResult checkpoint(ScoringRequest request) {
        SoupData soup = request.soup();
        ResolvedIngredient self = resolve(request.ingredients().get(0));
        Splits data = splits(soup, request.splits());
        hyperParameters.put(key(soup.soupId(), self.checkpointId()), self.ref().hyperParameters());
        MemberScores member = new MemberScores(self, soup, new Scorer(architecture(soup), batchSize));
        Map<NamedSplit, SplitScore> scores = new LinkedHashMap<>();
        for (NamedSplit split : data.all()) {
            scores.put(split, SplitScore.of(split.name(), member.score(split)));
        }
        return result(List.of(self.verified()), scores, data, null, member.imagesScored);
    }

    /** One checkpoint's scores, split by split, from the logits cache or by loading it (once) and scoring. */
    private final class MemberScores {
        private final ResolvedIngredient checkpoint;
        private final SoupData soup;
        private final Scorer scorer;
        private boolean loaded;
        private long imagesScored;

        MemberScores(ResolvedIngredient checkpoint, SoupData soup, Scorer scorer) {
            this.checkpoint = checkpoint;
            this.soup = soup;
            this.scorer = scorer;
        }

        ScoreResult score(NamedSplit split) {
            String cacheKey = checkpoint.sha256() + '\u0000' + soup.architectureUri() + '\u0000' + split.uri();
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
     * Scores the uniform average of the ingredients: the soup in join order, then the checkpoint
     * tried. The average is stored content-addressed (a repeated request finds its bytes already
     * there) with a manifest naming the ingredients and, once scored, the scores.
     */
    private ScoringResult candidate(ScoringRequest request) {
        SoupData soup = request.soup();
        List<ResolvedIngredient> ingredients = request.ingredients().stream().map(this::resolve).toList();
        TorchScriptArchitecture architecture = architecture(soup);
        Splits data = splits(soup, request.splits());
        List<ResolvedIngredient> base = ingredients.subList(0, ingredients.size() - 1);
        ResolvedIngredient tried = ingredients.get(ingredients.size() - 1);
        ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE,
                ingredients.stream().map(i -> new ArtifactManifest.Ingredient(i.checkpointId(), i.ref().uri(),
                        i.sha256(), hyperParametersOf(soup, i))).toList(), Map.of());
        StoredArtifact artifact = store.writeArtifact(out -> sums.writeAverage(soup.soupId(), base, tried, out),
                manifest);
        LOG.debug("average of {} ingredients for soup {}; running sums so far: {}", ingredients.size(),
                soup.soupId(), sums.stats());
        load(architecture, artifact.path());
        Scorer scorer = new Scorer(architecture, batchSize);
        Map<NamedSplit, SplitScore> scores = new LinkedHashMap<>();
        for (NamedSplit split : data.all()) {
            scores.put(split, SplitScore.of(split.name(), scorer.score(split.images())));
        }
        // a held-out-only evaluation must not erase the test and shift scores a report put there
        Map<String, Double> manifestScores = new TreeMap<>(store.readManifest(artifact.sha256())
                .map(ArtifactManifest::scores).orElse(Map.of()));
        manifestScores.put(HELD_OUT, scores.get(data.heldOut()).accuracy());
        data.test().ifPresent(t -> manifestScores.put(TEST, scores.get(t).accuracy()));
        data.shifts().forEach(s -> manifestScores.put(SHIFT_SCORE_PREFIX + s.name(), scores.get(s).accuracy()));
        store.updateManifest(artifact.sha256(), manifest.withScores(manifestScores));
        return result(ingredients.stream().map(ResolvedIngredient::verified).toList(), scores, data, artifact,
                data.images());
    }

    /** The ensemble baseline: top-1 accuracy of the mean of the ingredients' logits, on every split. */
    private ScoringResult ensemble(ScoringRequest request) {
        SoupData soup = request.soup();
        List<ResolvedIngredient> members = request.ingredients().stream().map(this::resolve).toList();
        Splits data = splits(soup, request.splits());
        Scorer scorer = new Scorer(architecture(soup), batchSize);
        // Members scored before (as checkpoints) cost nothing; the others are loaded once each.
        Map<NamedSplit, EnsembleLogits> ensembles = new LinkedHashMap<>();
        long images = 0;
        for (ResolvedIngredient ingredient : members) {
            MemberScores member = new MemberScores(ingredient, soup, scorer);
            for (NamedSplit split : data.all()) {
                ScoreResult result = member.score(split);
                ensembles.computeIfAbsent(split,
                        s -> new EnsembleLogits(s.name(), s.images().scoredTargets(), result.classes())).add(result);
            }
            images += member.imagesScored;
        }
        Map<NamedSplit, SplitScore> scores = new LinkedHashMap<>();
        ensembles.forEach((split, ensemble) -> scores.put(split, SplitScore.of(split.name(), ensemble.result())));
        return result(members.stream().map(ResolvedIngredient::verified).toList(), scores, data, null, images);
    }

    /** The request's own hyper-parameters, else those its checkpoint was scored with here. */
    private Map<String, String> hyperParametersOf(SoupData soup, ResolvedIngredient ingredient) {
        if (!ingredient.ref().hyperParameters().isEmpty()) {
            return ingredient.ref().hyperParameters();
        }
        return hyperParameters.get(key(soup.soupId(), ingredient.checkpointId())).orElse(Map.of());
    }

    /** Inside the roots, an existing file, and the announced hash if there is one (memoised). */
    private ResolvedIngredient resolve(CheckpointRef ref) {
        Path path = store.resolve(ref.uri());
        String sha = ref.sha256() != null ? hashes.verify(path, ref.sha256()) : hashes.sha256(path);
        return new ResolvedIngredient(ref, path, sha);
    }

    private TorchScriptArchitecture architecture(SoupData soup) {
        return architectures.get(store.resolve(soup.architectureUri()));
    }

    /** The soup's held-out split, and its test and shift splits when all are asked for (and defined). */
    private Splits splits(SoupData soup, ScoringRequest.Splits which) {
        NamedSplit heldOut = new NamedSplit(HELD_OUT, soup.heldOutUri(), splits.get(soup.heldOutUri(), soup.inputs()));
        boolean all = which == ScoringRequest.Splits.ALL;
        Optional<NamedSplit> test = !all || soup.testUri() == null ? Optional.empty()
                : Optional.of(new NamedSplit(TEST, soup.testUri(), splits.get(soup.testUri(), soup.inputs())));
        List<NamedSplit> shifts = new ArrayList<>();
        if (all) {
            soup.shiftUris().forEach((name, uri) -> shifts.add(new NamedSplit(name, uri, splits.get(uri, soup.inputs()))));
        }
        return new Splits(heldOut, test, shifts);
    }

    private static void load(TorchScriptArchitecture architecture, Path weights) {
        try (SafetensorsReader reader = SafetensorsReader.open(weights)) {
            architecture.loadStateDict(reader);
        }
    }

    /** Puts each split's score in its named place (scores are keyed by split, so a shift called "test" stays a shift). */
    private static ScoringResult result(List<CheckpointRef> ingredients, Map<NamedSplit, SplitScore> scores,
                                        Splits data, StoredArtifact artifact, long images) {
        Map<String, SplitScore> shifts = new LinkedHashMap<>();
        data.shifts().forEach(s -> shifts.put(s.name(), scores.get(s)));
        return new ScoringResult(ingredients, scores.get(data.heldOut()), data.test().map(scores::get), shifts,
                Optional.ofNullable(artifact), images);
    }

    private static String key(String soupId, String checkpointId) {
        return soupId + '\u0000' + checkpointId;
    }

    @Override
    public void close() {
        architectures.close();
    }
}
