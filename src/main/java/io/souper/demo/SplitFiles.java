package io.souper.demo;

import io.souper.data.DatasetFiles;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's splits as dataset files the evaluator reads ({@link DatasetFiles}: F32 NCHW
 * {@code inputs}, I64 {@code labels}), one file per split under
 * {@code <work>/splits/<plan key>/}. Written once; a {@value #COMPLETE_MARKER} file written
 * last tells a restarted demo that every file is whole, so an interrupted write is redone
 * rather than trusted.
 *
 * @param directory where the files are
 * @param files     split name -> file, in {@link DemoSplits#all()} order
 */
public record SplitFiles(Path directory, Map<String, Path> files) {

    public static final String COMPLETE_MARKER = "COMPLETE";
    public static final String HELDOUT = "heldout";
    public static final String PRETRAIN = "pretrain";
    public static final String FINETUNE = "finetune";
    public static final String TEST = "test";

    public SplitFiles {
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /**
     * The split files of {@code plan}, cut from the IDX files in {@code fashionMnist} and written
     * under {@code workDirectory} unless a complete set is already there.
     */
    public static SplitFiles ensure(Path fashionMnist, Path workDirectory, SplitPlan plan) {
        Path dir = workDirectory.resolve("splits").resolve(plan.key());
        Map<String, Path> files = expectedFiles(dir);
        if (Files.isRegularFile(dir.resolve(COMPLETE_MARKER))) {
            for (Path f : files.values()) {
                if (!Files.isRegularFile(f)) {
                    throw new IllegalStateException(dir + " is marked complete but " + f.getFileName()
                            + " is missing; delete the directory to have it written again");
                }
            }
            return new SplitFiles(dir, files);
        }
        LabeledImages train = FashionMnist.load(fashionMnist, "train");
        LabeledImages test = FashionMnist.load(fashionMnist, "t10k");
        DemoSplits splits = DemoSplits.cut(train, test, plan, PixelNormalisation.FASHION_MNIST);
        write(dir, splits, plan);
        return new SplitFiles(dir, files);
    }

    /** Writes every split of {@code splits} into {@code dir}, the completion marker last. */
    public static SplitFiles write(Path dir, DemoSplits splits, SplitPlan plan) {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(COMPLETE_MARKER));
            Map<String, Path> files = new LinkedHashMap<>();
            for (LabeledImages split : splits.all()) {
                Path file = dir.resolve(split.name() + DatasetFiles.EXTENSION);
                DatasetFiles.write(file, split);
                files.put(split.name(), file);
            }
            Files.writeString(dir.resolve(COMPLETE_MARKER), plan + "\n", StandardCharsets.UTF_8);
            return new SplitFiles(dir, files);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo's splits to " + dir, e);
        }
    }

    private static Map<String, Path> expectedFiles(Path dir) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String name : List.of(HELDOUT, PRETRAIN, FINETUNE, TEST)) {
            files.put(name, dir.resolve(name + DatasetFiles.EXTENSION));
        }
        for (Corruption c : Corruption.values()) {
            String name = shiftName(c);
            files.put(name, dir.resolve(name + DatasetFiles.EXTENSION));
        }
        return files;
    }

    /** The split name of a corruption's shift set: {@code shift-<short name>}. */
    public static String shiftName(Corruption corruption) {
        return "shift-" + corruption.shortName();
    }

    public Path file(String split) {
        Path f = files.get(split);
        if (f == null) {
            throw new IllegalArgumentException("no split '" + split + "' (have " + files.keySet() + ")");
        }
        return f;
    }

    /** A {@code file:} URI the evaluator's {@code DatasetLoader} accepts. */
    public URI uri(String split) {
        return file(split).toAbsolutePath().toUri();
    }

    /** Names of the distribution-shift splits, in {@link Corruption} order. */
    public List<String> shiftNames() {
        List<String> out = new ArrayList<>();
        for (Corruption c : Corruption.values()) {
            out.add(shiftName(c));
        }
        return out;
    }

    /** Reads one split back. */
    public LabeledImages load(String split) {
        return DatasetFiles.read(file(split));
    }
}
