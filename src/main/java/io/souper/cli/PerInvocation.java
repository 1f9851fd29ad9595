package io.souper.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an option that says what one invocation does (which soup, which checkpoint, how many records
 * to print), not how Souper is configured: it has no environment variable, because a value left in a
 * container's environment would silently change every later invocation.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface PerInvocation {
}
