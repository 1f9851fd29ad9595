package io.souper.soup;

/** (online) A checkpoint waiting for its trial. {@code retry}: it was dropped by a replacement (or its trial was). */
record QueuedCheckpoint(String checkpointId, boolean retry) {
}
