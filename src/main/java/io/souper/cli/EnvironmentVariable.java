package io.souper.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names an option's environment variable when it is not the rule's ({@code --work-dir} is
 * {@code SOUPER_WORK_DIR}; see {@link EnvironmentDefaults#variable}), e.g. a plural for a repeatable option.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface EnvironmentVariable {
    String value();
}
