package io.souper.scoring;

import io.souper.errors.SouperException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Looks inside a TorchScript file (a zip archive) without loading it. Each tensor storage of
 * the module's state is an entry {@code <archive>/data/<n>}; counting them tells whether the
 * module holds tensors besides its parameters, which DJL cannot list.
 */
final class TorchScriptArchive {

    private static final Pattern STORAGE = Pattern.compile("^[^/]+/data/\\d+$");

    private TorchScriptArchive() {
    }

    static int countTensorStorages(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new SouperException(ScoringErrorCode.FILE_NOT_FOUND, file + ": no such file");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            int storages = 0;
            boolean hasCode = false;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (STORAGE.matcher(name).matches()) {
                    storages++;
                }
                hasCode |= name.contains("/code/");
            }
            if (!hasCode) {
                throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, file + ": a zip archive without "
                        + "TorchScript code (was it saved with torch.save instead of torch.jit.script(...).save?)");
            }
            return storages;
        } catch (ZipException e) {
            throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, file + ": not a TorchScript archive (" + e
                    .getMessage() + ")", e);
        } catch (IOException e) {
            throw new SouperException(ScoringErrorCode.IO_ERROR, file + ": " + e, e);
        }
    }
}
