package io.souper.streams;

import io.souper.registry.RegistryUnavailableException;
import io.souper.registry.SchemaRegistryClient;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.ConnectException;

/**
 * A schema registry client that can be switched off, for unit tests of what an outage does: while
 * down, every call fails as {@link io.souper.registry.HttpSchemaRegistryClient} fails when nothing
 * listens (a {@link RegistryUnavailableException} caused by a refused connection); while up, calls go
 * to the real client it wraps.
 */
final class SwitchableRegistry {

    private final SchemaRegistryClient real;
    private final SchemaRegistryClient client;
    private volatile boolean down;

    SwitchableRegistry(SchemaRegistryClient real) {
        this.real = real;
        this.client = (SchemaRegistryClient) Proxy.newProxyInstance(SchemaRegistryClient.class.getClassLoader(),
                new Class<?>[] {SchemaRegistryClient.class}, (proxy, method, args) -> call(method, args));
    }

    SchemaRegistryClient client() {
        return client;
    }

    void down() {
        down = true;
    }

    void up() {
        down = false;
    }

    private Object call(Method method, Object[] args) throws Throwable {
        boolean local = method.getDeclaringClass() == Object.class || method.getName().equals("url")
                || method.getName().equals("close");
        if (down && !local) {
            throw new RegistryUnavailableException("Schema registry not reachable at " + real.url() + " ("
                    + method.getName() + "): ConnectException", new ConnectException("Connection refused"));
        }
        try {
            return method.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
