package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every malformed file is a BAD_HEADER naming the file and what is wrong; nothing else escapes. */
class SafetensorsMalformedTest {

    @TempDir
    Path dir;

    private static byte[] file(String header, int dataBytes) {
        return file(header.getBytes(StandardCharsets.UTF_8), header.length(), dataBytes);
    }

    private static byte[] file(byte[] header, long declaredLength, int dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
        out.writeBytes(header);
        out.writeBytes(new byte[dataBytes]);
        return out.toByteArray();
    }

    private SouperException failure(byte[] content) throws Exception {
        Path file = Files.write(dir.resolve("bad.safetensors"), content);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> SafetensorsReader.open(file).close());
        assertThat(thrown).isInstanceOf(SouperException.class);
        SouperException e = (SouperException) thrown;
        assertThat(e.code()).isEqualTo(CheckpointErrorCode.BAD_HEADER);
        assertThat(e.getMessage()).contains(file.toString());
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown dtype     | {\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}                 | 1 | unsupported dtype 'F8_E4M3'",
        "lower-case dtype  | {\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}                     | 4 | unsupported dtype 'f32'",
        "shape mismatch    | {\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}                  | 20 | needs 24 bytes but data_offsets [0, 20] span 20",
        "offsets outside   | {\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}                      | 8 | lie outside the data section of 8 bytes",
        "overlap           | {\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}} | 6 | tensor 'b' data_offsets [2, 6] overlap tensor 'a'",
        "hole              | {\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[6,10]}} | 10 | hole of 2 bytes at offset 4",
        "trailing data     | {\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}                       | 9 | 5 trailing bytes not covered",
        "begin after end   | {\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}                       | 4 | begin after end",
        "negative dim      | {\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}                      | 0 | not a non-negative 64-bit integer",
        "fractional offset | {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.5]}}                     | 1 | not a non-negative 64-bit integer",
        "huge offset       | {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}    | 1 | not a non-negative 64-bit integer",
        "shape overflow    | {\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}} | 0 | overflows 64 bits",
        "missing offsets   | {\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}                                             | 1 | no 'data_offsets' array of 2 integers",
        "three offsets     | {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}                     | 1 | no 'data_offsets' array of 2 integers",
        "missing dtype     | {\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}                                       | 1 | no string 'dtype'",
        "entry not object  | {\"a\":[1,2]}                                                                       | 0 | tensor 'a' is not a JSON object",
        "metadata number   | {\"__metadata__\":{\"k\":1}}                                                          | 0 | value of 'k' is not a string",
        "duplicate key     | {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}} | 1 | not valid JSON: Duplicate field 'a'",
        "broken JSON       | {\"a\":                                                                             | 0 | not valid JSON",
        "trailing JSON     | {} {}                                                                               | 0 | not valid JSON",
        "not an object     | [1]                                                                                 | 0 | does not start with '{'",
    })
    void malformedHeadersAreRefusedWithTheReason(String label, String header, int dataBytes, String reason) throws Exception {
        assertThat(failure(file(header.trim(), dataBytes)).getMessage()).contains(reason.trim());
    }

    @Test
    void tooShortForTheLengthPrefix() throws Exception {
        assertThat(failure(new byte[] {1, 0, 0}).getMessage()).contains("3 bytes, too short");
    }

    @Test
    void headerLengthBeyondTheFile() throws Exception {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        assertThat(failure(file(header, 1000, 0)).getMessage()).contains("header length 1000 exceeds the file size 10");
        assertThat(failure(file(header, -1, 0)).getMessage()).contains("header length 18446744073709551615");
    }

    @Test
    void truncatedFilesAreRefusedAtEveryLength() throws Exception {
        byte[] valid = Files.readAllBytes(TestTensors.writeModel(dir, "valid", TestTensors.randomModel(4)));
        for (int length = 0; length < valid.length; length += 7) {
            byte[] truncated = Arrays.copyOf(valid, length);
            assertThat(failure(truncated).code()).isEqualTo(CheckpointErrorCode.BAD_HEADER);
        }
    }

    @Test
    void emptyHeaderAndEmptyFileWithNoTensorsIsValid() throws Exception {
        Path file = Files.write(dir.resolve("empty.safetensors"), file("{}      ", 0));
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.names()).isEmpty();
            assertThat(reader.metadata()).isEmpty();
        }
    }

    @Test
    void missingFilesAndDirectoriesAreFileNotFound() {
        assertThatThrownBy(() -> SafetensorsReader.open(dir.resolve("absent.safetensors")))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.FILE_NOT_FOUND));
        assertThatThrownBy(() -> SafetensorsReader.open(dir))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.FILE_NOT_FOUND))
                .hasMessageContaining("is a directory");
    }
}
