package io.souper.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the real tools the deployment files are checked with. A missing tool fails the test with
 * what installs it: CI installs every one (scripts/install-deps.sh), nothing is skipped.
 */
final class Commands {

    private Commands() {
    }

    record Result(int exitCode, String out, String err) {
    }

    /** Runs {@code command} in {@code dir}; an empty value in {@code env} removes that variable. Returns stdout. */
    static String run(Path dir, Map<String, String> env, String... command) {
        Result r = exec(dir, env, command);
        assertThat(r.exitCode).as("%s failed:%n%s%n%s", String.join(" ", command), r.out, r.err).isZero();
        return r.out;
    }

    /** Runs {@code command} in {@code dir} and returns its exit code and output, whatever the exit code. */
    static Result exec(Path dir, Map<String, String> env, String... command) {
        try {
            Path err = Files.createTempFile("souper-deploy-", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectError(err.toFile());
                env.forEach((k, v) -> {
                    if (v.isEmpty()) {
                        pb.environment().remove(k);
                    } else {
                        pb.environment().put(k, v);
                    }
                });
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new AssertionError(command[0] + " is missing: run scripts/install-deps.sh", e);
                }
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish within 5 minutes");
                }
                return new Result(p.exitValue(), out, Files.readString(err));
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
