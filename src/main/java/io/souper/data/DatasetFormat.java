package io.souper.data;

/** How a data split is stored. */
public enum DatasetFormat {
    /** An IDX image file and an IDX label file in one directory (MNIST, Fashion-MNIST). */
    IDX,
    /** One safetensors file, or a directory of safetensors shards (see {@link DatasetFiles}). */
    SAFETENSORS
}
