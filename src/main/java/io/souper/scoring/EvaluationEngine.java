package io.souper.scoring;

import ai.djl.Device;
import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.FileCheckpointStore;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsStreamSink;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.StoredArtifact;
import io.souper.data.DatasetFiles;
import io.souper.data.TensorSplit;
import io.souper.checkpoint.s3.S3CheckpointStore;
import io.souper.checkpoint.sharded.ShardedAverager;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import io.souper.checkpoint.sharded.SoupFiles;
import io.souper.checkpoint.store.ArtifactPublisher;
import io.souper.checkpoint.store.BlobStore;
import io.souper.checkpoint.store.BlobStores;
import io.souper.data.LabeledImages;
import io.souper.errors.SouperException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
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

    private final BlobStores stores;
    /** {@code file:} URIs as paths (architectures, which libtorch loads from a file). */
    private final FileCheckpointStore files;
    /** Single-file soups published to a {@code file:} artifact directory (manifests updated in place). */
    private final FileCheckpointStore fileArtifacts;
    /** Soups published to an object store, and sharded soups (shards + index) anywhere. */
    private final ArtifactPublisher publisher;
    private final Path staging;
    private final Path fetchedArchitectures;
    private final Path fetchedData;
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
    /**
     * Held-out results of ingredient lists scored here (a checkpoint alone, a candidate), by soup and
     * ordered ingredients: a candidate is written to the store only if it could become the soup, i.e.
     * unless the soup it extends is known here to score strictly better (see {@link #mustPublish}).
     */
    private final BoundedLru<String, SplitScore> heldOutScores;

    public EvaluationEngine(ScoringSettings settings, Device device) {
        List<BlobStore> blobStores = new ArrayList<>();
        blobStores.add(new FileBlobStore(settings.storeRoots()));
        settings.objectStore().ifPresent(s3 -> blobStores.add(new S3CheckpointStore(s3)));
        this.stores = new BlobStores(blobStores);
        this.files = new FileCheckpointStore(settings.storeRoots());
        BlobStore artifactStore = stores.forUri(settings.artifactsUri());
        this.fileArtifacts = artifactStore.scheme().equals("file")
                ? new FileCheckpointStore(settings.storeRoots(), Path.of(URI.create(settings.artifactsUri())))
                : null;
        this.publisher = new ArtifactPublisher(artifactStore, settings.artifactsUri());
        this.staging = directory(settings.workDir().resolve("staging"));
        this.fetchedArchitectures = directory(settings.workDir().resolve("architectures"));
        this.fetchedData = directory(settings.workDir().resolve("datasets"));
        this.device = device;
        this.batchSize = settings.batchSize();
        this.architectures = new ArchitectureCache(device, settings.architectureCacheSize());
        // splits fetched from an object store are read from the work directory: trusted like a root
        List<Path> dataRoots = new ArrayList<>(settings.storeRoots());
        dataRoots.add(fetchedData);
        this.splits = new SplitCache(dataRoots, settings.dataCacheSize());
        this.sums = new SoupSums(settings.workDir().resolve("running-sums"), settings.runningSumCacheSize());
        this.hashes = new FileHashes(settings.hashCacheSize());
        this.hyperParameters = new BoundedLru<>(settings.hashCacheSize(), (k, v) -> { });
        this.logits = new BoundedLru<>(LOGITS_CACHE_ENTRIES, (k, v) -> { });
        this.heldOutScores = new BoundedLru<>(settings.hashCacheSize(), (k, v) -> { });
    }

    private static Path directory(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, "cannot create " + dir + ": " + e, e);
        }
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
        try (ResolvedIngredient self = resolve(request.ingredients().get(0))) {
            Splits data = splits(soup, request.splits());
            hyperParameters.put(key(soup.soupId(), self.checkpointId()), self.ref().hyperParameters());
            MemberScores member = new MemberScores(self, soup, new Scorer(architecture(soup), batchSize));
            Map<NamedSplit, SplitScore> scores = new LinkedHashMap<>();
            for (NamedSplit split : data.all()) {
                scores.put(split, SplitScore.of(split.name(), member.score(split)));
            }
            heldOutScores.put(scoresKey(soup.soupId(), List.of(self)), scores.get(data.heldOut()));
            return result(List.of(self.verified()), scores, data, null, member.imagesScored);
        }
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
                load(scorer.architecture(), checkpoint);
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
     * tried. The average streams from the soup's running sum straight into the module (scored
     * from memory, never written just to be read back); it is stored content-addressed, with a
     * manifest naming the ingredients and the scores, only when it may become the soup or a report
     * asked for it ({@link #mustPublish}). A repeated request finds its bytes already there.
     */
    private ScoringResult candidate(ScoringRequest request) {
        SoupData soup = request.soup();
        List<ResolvedIngredient> ingredients = resolveAll(request.ingredients());
        try {
            TorchScriptArchitecture architecture = architecture(soup);
            Splits data = splits(soup, request.splits());
            List<ResolvedIngredient> base = ingredients.subList(0, ingredients.size() - 1);
            ResolvedIngredient tried = ingredients.get(ingredients.size() - 1);
            SafetensorsStreamSink weights = new SafetensorsStreamSink(architecture.stateDictSink());
            sums.writeAverage(soup.soupId(), base, tried, weights);
            if (!weights.complete()) {
                throw new IllegalStateException("the average of " + ingredients.size() + " ingredients ended early");
            }
            LOG.debug("average of {} ingredients for soup {}; running sums so far: {}", ingredients.size(),
                    soup.soupId(), sums.stats());
            Scorer scorer = new Scorer(architecture, batchSize);
            Map<NamedSplit, SplitScore> scores = new LinkedHashMap<>();
            for (NamedSplit split : data.all()) {
                scores.put(split, SplitScore.of(split.name(), scorer.score(split.images())));
            }
            SplitScore heldOut = scores.get(data.heldOut());
            StoredArtifact artifact = null;
            if (mustPublish(soup.soupId(), base, heldOut, request.splits())) {
                artifact = publish(soup, base, tried, ingredients, data, scores);
            }
            heldOutScores.put(scoresKey(soup.soupId(), ingredients), heldOut);
            return result(ingredients.stream().map(ResolvedIngredient::verified).toList(), scores, data, artifact,
                    data.images());
        } finally {
            ingredients.forEach(ResolvedIngredient::close);
        }
    }

    /**
     * Whether a candidate's average must be in the store: when a report asks for every split (it
     * describes the artifact), and whenever the souper may accept it, i.e. unless the soup it
     * extends was scored here and holds strictly more held-out images right (then neither accept
     * rule, {@code >} nor {@code >=}, takes it). When the soup's score is unknown here (another
     * evaluator scored it, or this one restarted), it is written, as before.
     */
    private boolean mustPublish(String soupId, List<ResolvedIngredient> base, SplitScore heldOut,
                                ScoringRequest.Splits which) {
        if (which == ScoringRequest.Splits.ALL || base.isEmpty()) {
            return true;
        }
        Optional<SplitScore> soupScore = heldOutScores.get(scoresKey(soupId, base));
        return soupScore.map(s -> s.total() != heldOut.total() || notWorseOnSomeMetric(heldOut, s)).orElse(true);
    }

    /**
     * Whether the candidate is at least as good as its base on some metric a soup may rank by. The
     * engine does not know which one this soup uses (a perplexity soup may accept a candidate whose
     * top-1 count fell), so only a candidate worse on every metric goes unstored.
     */
    private static boolean notWorseOnSomeMetric(SplitScore candidate, SplitScore base) {
        if (candidate.correct() >= base.correct()) {
            return true;
        }
        for (Map.Entry<String, Double> metric : candidate.metrics().entrySet()) {
            Double baseValue = base.metrics().get(metric.getKey());
            if (baseValue == null) {
                continue;
            }
            boolean lowerIsBetter = metric.getKey().equals(ScoreResult.MEAN_LOSS)
                    || metric.getKey().equals(ScoreResult.PERPLEXITY);
            if (lowerIsBetter ? metric.getValue() <= baseValue : metric.getValue() >= baseValue) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stores the average (its bytes are those just scored: the same sums in the same order). A
     * single-file soup in a {@code file:} artifact directory is written there directly and its
     * manifest's scores are merged; a sharded soup (the first ingredient's layout, its own index)
     * or any soup bound for an object store is staged under the work directory and published.
     */
    private StoredArtifact publish(SoupData soup, List<ResolvedIngredient> base, ResolvedIngredient tried,
                                   List<ResolvedIngredient> ingredients, Splits data,
                                   Map<NamedSplit, SplitScore> scores) {
        Map<String, Double> newScores = new TreeMap<>();
        newScores.put(HELD_OUT, scores.get(data.heldOut()).accuracy());
        data.test().ifPresent(t -> newScores.put(TEST, scores.get(t).accuracy()));
        data.shifts().forEach(s -> newScores.put(SHIFT_SCORE_PREFIX + s.name(), scores.get(s).accuracy()));
        ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE,
                ingredients.stream().map(i -> new ArtifactManifest.Ingredient(i.checkpointId(), i.ref().uri(),
                        i.sha256(), hyperParametersOf(soup, i))).toList(), newScores);
        boolean sharded = ingredients.get(0).checkpoint().isSharded();
        if (!sharded && fileArtifacts != null) {
            StoredArtifact artifact = fileArtifacts.writeArtifact(
                    out -> sums.writeAverage(soup.soupId(), base, tried, out), manifest);
            // a held-out-only evaluation must not erase the test and shift scores a report put there
            Map<String, Double> merged = new TreeMap<>(fileArtifacts.readManifest(artifact.sha256())
                    .map(ArtifactManifest::scores).orElse(Map.of()));
            merged.putAll(newScores);
            fileArtifacts.updateManifest(artifact.sha256(), manifest.withScores(merged));
            return artifact;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory(staging, "soup-");
            SoupFiles soupFiles;
            if (sharded) {
                soupFiles = new ShardedAverager().average(
                        ingredients.stream().map(ResolvedIngredient::checkpoint).toList(), dir);
            } else {
                Path file = dir.resolve(ShardedAverager.SINGLE_FILE);
                MessageDigest digest = Sha256.newDigest();
                try (OutputStream out = new DigestOutputStream(
                        new BufferedOutputStream(Files.newOutputStream(file), 1 << 20), digest)) {
                    sums.writeAverage(soup.soupId(), base, tried, out);
                }
                String sha = Sha256.hex(digest.digest());
                soupFiles = new SoupFiles(dir, Map.of(ShardedAverager.SINGLE_FILE, sha), false, sha, Files.size(file));
            }
            ArtifactPublisher.Published published = publisher.publish(soupFiles, manifest);
            return new StoredArtifact(published.uri(), null, published.sha256(), published.sizeBytes(),
                    published.reused());
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, "staging the soup of " + soup.soupId()
                    + " in " + staging + ": " + e, e);
        } finally {
            SoupSums.deleteQuietly(dir);
        }
    }

    /** The ensemble baseline: top-1 accuracy of the mean of the ingredients' logits, on every split. */
    private ScoringResult ensemble(ScoringRequest request) {
        SoupData soup = request.soup();
        List<ResolvedIngredient> members = resolveAll(request.ingredients());
        try {
            return ensemble(soup, members, request);
        } finally {
            members.forEach(ResolvedIngredient::close);
        }
    }

    private ScoringResult ensemble(SoupData soup, List<ResolvedIngredient> members, ScoringRequest request) {
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

    /**
     * Inside the stores (roots or allowed bucket/prefix pairs), opened (one file, or an index and
     * every shard it names, checked against it), and hashed: the announced hash if there is one,
     * every shard the index lists a hash for (memoised by what identifies the bytes).
     */
    private ResolvedIngredient resolve(CheckpointRef ref) {
        BlobStore store = stores.forUri(ref.uri());
        ShardedCheckpoint checkpoint = ShardedCheckpoint.open(store, ref.uri());
        try {
            return new ResolvedIngredient(ref, checkpoint, hashes.sha256(store, checkpoint, ref.sha256()));
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Every ingredient resolved, or none left open. */
    private List<ResolvedIngredient> resolveAll(List<CheckpointRef> refs) {
        List<ResolvedIngredient> out = new ArrayList<>(refs.size());
        try {
            for (CheckpointRef ref : refs) {
                out.add(resolve(ref));
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach(ResolvedIngredient::close);
            throw e;
        }
    }

    private TorchScriptArchitecture architecture(SoupData soup) {
        return architectures.get(localArchitecture(soup.architectureUri()));
    }

    /**
     * libtorch loads a TorchScript file from disk: a {@code file:} architecture is used where it is,
     * one in an object store is fetched once into the work directory (see {@link #fetchOnce}).
     */
    private Path localArchitecture(String uri) {
        BlobStore store = stores.forUri(uri);
        return store.scheme().equals("file") ? files.resolve(uri)
                : fetchOnce(store, uri, fetchedArchitectures, ".pt", "the architecture");
    }

    /**
     * A data split in an object store (one safetensors object; {@code ?from=&to=} and the other
     * parameters apply as to a file) is fetched once into the work directory and read from there:
     * splits are small beside checkpoints, read whole, and kept in memory anyway.
     */
    private String localData(String uri) {
        if (!uri.regionMatches(true, 0, "s3:", 0, 3)) {
            return uri;
        }
        int query = uri.indexOf('?');
        String object = query < 0 ? uri : uri.substring(0, query);
        Path local = fetchOnce(stores.forUri(object), object, fetchedData, DatasetFiles.EXTENSION, "the data split");
        return local.toUri() + (query < 0 ? "" : uri.substring(query));
    }

    /**
     * The object at {@code uri}, fetched once into {@code directory} and named by its version (the
     * ETag), so a replaced object is fetched again and an unchanged one never.
     */
    private static Path fetchOnce(BlobStore store, String uri, Path directory, String suffix, String what) {
        try (ByteSource source = store.open(uri)) {
            String version = source.version() != null ? source.version() : uri + "@" + System.nanoTime();
            Path target = directory.resolve(
                    Sha256.hex(Sha256.newDigest().digest(version.getBytes(StandardCharsets.UTF_8))) + suffix);
            if (!Files.isRegularFile(target)) {
                Path temp = Files.createTempFile(directory, ".fetch-", ".tmp");
                try (OutputStream out = Files.newOutputStream(temp)) {
                    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                    long position = 0;
                    int n;
                    while ((n = source.read(buffer.clear(), position)) >= 0) {
                        out.write(buffer.array(), 0, n);
                        position += n;
                    }
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": fetching " + what + ": " + e, e);
        }
    }

    /** The soup's held-out split, and its test and shift splits when all are asked for (and defined). */
    private Splits splits(SoupData soup, ScoringRequest.Splits which) {
        NamedSplit heldOut = new NamedSplit(HELD_OUT, soup.heldOutUri(), splits.get(localData(soup.heldOutUri()),
                soup.inputs()));
        boolean all = which == ScoringRequest.Splits.ALL;
        Optional<NamedSplit> test = !all || soup.testUri() == null ? Optional.empty()
                : Optional.of(new NamedSplit(TEST, soup.testUri(), splits.get(localData(soup.testUri()), soup.inputs())));
        List<NamedSplit> shifts = new ArrayList<>();
        if (all) {
            soup.shiftUris().forEach((name, uri) -> shifts.add(new NamedSplit(name, uri,
                    splits.get(localData(uri), soup.inputs()))));
        }
        return new Splits(heldOut, test, shifts);
    }

    /** A local single file is memory-mapped; shards and objects are streamed tensor by tensor. */
    private static void load(TorchScriptArchitecture architecture, ResolvedIngredient checkpoint) {
        ShardedCheckpoint weights = checkpoint.checkpoint();
        if (!weights.isSharded()) {
            architecture.loadStateDict(weights.reader(weights.shards().get(0)));
            return;
        }
        try (SafetensorsReader reader = weights.asOneReader()) {
            architecture.loadStateDict(reader);
        }
    }

    /** Key of an ordered ingredient list's held-out score. */
    private static String scoresKey(String soupId, List<ResolvedIngredient> ingredients) {
        StringBuilder key = new StringBuilder(soupId);
        ingredients.forEach(i -> key.append('\u0000').append(i.checkpointId()).append('\u0001').append(i.sha256()));
        return key.toString();
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
        stores.close();
    }
}
