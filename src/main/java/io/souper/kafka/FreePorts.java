package io.souper.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Picks a free local TCP port, for servers that must be told their port before they bind. */
public final class FreePorts {
    private FreePorts() {
    }

    public static int pick() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }
}
