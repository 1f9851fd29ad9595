package io.souper.data;

import java.util.List;

/**
 * How a soup reads its data splits: which tensors of a split go to the model's {@code forward},
 * in that order, and which target value is not scored (padding). Comes from the soup definition
 * ({@code inputNames}, {@code ignoreIndex}).
 *
 * @param inputNames empty: the split's one tensor {@code inputs} (images, as {@link DatasetFiles}
 *                   and IDX splits hold them)
 * @param ignoreIndex nullable: every target is scored
 */
public record InputSpec(List<String> inputNames, Long ignoreIndex) {

    /** Image splits as they always were: one {@code inputs} tensor, every label scored. */
    public static final InputSpec IMAGES = new InputSpec(List.of(), null);

    public InputSpec {
        inputNames = inputNames == null ? List.of() : List.copyOf(inputNames);
        if (inputNames.stream().anyMatch(n -> n == null || n.isBlank())) {
            throw new IllegalArgumentException("input names must not be blank: " + inputNames);
        }
        if (inputNames.stream().distinct().count() != inputNames.size()) {
            throw new IllegalArgumentException("input names must be distinct: " + inputNames);
        }
    }

    /** Whether the split is read as images (IDX, or safetensors {@code inputs} + {@code labels}). */
    public boolean images() {
        return inputNames.isEmpty();
    }

    /** The tensors passed to {@code forward}, in order. */
    public List<String> forwardInputs() {
        return images() ? List.of(DatasetFiles.INPUTS) : inputNames;
    }

    /** Whether {@code target} is the padding value that is not scored. */
    public boolean ignored(long target) {
        return ignoreIndex != null && ignoreIndex == target;
    }
}
