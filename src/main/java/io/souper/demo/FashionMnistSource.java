package io.souper.demo;

import io.souper.checkpoint.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * Finds the Fashion-MNIST IDX files the demo trains and scores on: {@code --data DIR}, else
 * {@code $SOUPER_DATA}, else Debian's {@code /usr/share/datasets/fashion-mnist}; if none of
 * them holds the four files, downloads the official ones into a cache directory.
 *
 * <p>A download is checked against the SHA-256 of the <em>decompressed</em> files (gzip
 * headers differ between mirrors and Debian's copy; the IDX content does not), so a truncated
 * or wrong file is never used.
 */
public final class FashionMnistSource {

    public static final String ENV_VARIABLE = "SOUPER_DATA";
    public static final Path DEBIAN_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
    public static final URI OFFICIAL_BASE = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    /** File name -> SHA-256 of its decompressed IDX content (Zalando's release, as Debian ships it). */
    static final Map<String, String> CONTENT_SHA256 = files();

    /** Fetches a URL's bytes; a seam so tests need no network. */
    @FunctionalInterface
    public interface Fetcher {
        InputStream open(URI uri) throws IOException;
    }

    private final Fetcher fetcher;

    public FashionMnistSource() {
        this(FashionMnistSource::httpGet);
    }

    public FashionMnistSource(Fetcher fetcher) {
        this.fetcher = fetcher;
    }

    private static Map<String, String> files() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888");
        m.put("train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9");
        m.put("t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b");
        m.put("t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34");
        return Map.copyOf(m);
    }

    /**
     * The directory to read Fashion-MNIST from.
     *
     * @param dataFlag      the {@code --data} option, if given: then it must hold the files
     * @param environment   the process environment (for {@value #ENV_VARIABLE})
     * @param downloadCache where to download to when no candidate directory holds the files
     * @throws DemoSetupException with a one-line message when the files are nowhere and cannot be downloaded
     */
    public Path locate(Optional<Path> dataFlag, Map<String, String> environment, Path downloadCache) {
        if (dataFlag.isPresent()) {
            Path dir = dataFlag.get();
            if (!holdsAll(dir)) {
                throw new DemoSetupException("--data " + dir + " does not hold the Fashion-MNIST IDX files ("
                        + String.join(", ", CONTENT_SHA256.keySet()) + ", gzipped or not)");
            }
            return dir;
        }
        List<Path> candidates = new ArrayList<>();
        String env = environment.get(ENV_VARIABLE);
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(DEBIAN_DIRECTORY);
        candidates.add(downloadCache);
        for (Path dir : candidates) {
            if (holdsAll(dir)) {
                return dir;
            }
        }
        download(downloadCache);
        return downloadCache;
    }

    /** Whether {@code dir} holds all four files, gzipped or plain. */
    public static boolean holdsAll(Path dir) {
        for (String gz : CONTENT_SHA256.keySet()) {
            String plain = gz.substring(0, gz.length() - ".gz".length());
            if (!Files.isRegularFile(dir.resolve(gz)) && !Files.isRegularFile(dir.resolve(plain))) {
                return false;
            }
        }
        return true;
    }

    /** Downloads the four official files into {@code dir}, each verified before it is moved into place. */
    void download(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new DemoSetupException("cannot create " + dir + " to download Fashion-MNIST into (" + e
                    + "): run `apt-get install dataset-fashion-mnist` or pass --data DIR");
        }
        for (Map.Entry<String, String> file : CONTENT_SHA256.entrySet()) {
            Path target = dir.resolve(file.getKey());
            if (Files.isRegularFile(target)) {
                continue;
            }
            URI uri = OFFICIAL_BASE.resolve(file.getKey());
            Path partial = dir.resolve(file.getKey() + ".part");
            try {
                try (InputStream in = fetcher.open(uri)) {
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                }
                String actual = contentSha256(partial);
                if (!actual.equals(file.getValue())) {
                    throw new DemoSetupException(uri + " sent a file whose content has SHA-256 " + actual
                            + ", expected " + file.getValue() + ": run `apt-get install dataset-fashion-mnist` or "
                            + "pass --data DIR");
                }
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | UncheckedIOException e) {
                throw new DemoSetupException("Fashion-MNIST is not installed and downloading " + uri + " failed ("
                        + oneLine(e) + "): run `apt-get install dataset-fashion-mnist` or pass --data DIR");
            } finally {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException ignored) {
                    // best effort: a stale .part file is overwritten next time
                }
            }
        }
    }

    /** SHA-256 of a gzip file's decompressed content. */
    static String contentSha256(Path gz) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        try (InputStream in = new DigestInputStream(new GZIPInputStream(Files.newInputStream(gz)), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return Sha256.hex(digest.digest());
    }

    private static String oneLine(Exception e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": "
                + e.getMessage();
        return msg.replace('\n', ' ');
    }

    private static InputStream httpGet(URI uri) throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2)).GET().build();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new IOException("HTTP " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
