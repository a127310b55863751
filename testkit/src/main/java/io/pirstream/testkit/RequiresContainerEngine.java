package io.pirstream.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a test class that needs a Docker-compatible engine (Testcontainers). The rule:
 *
 * <ol>
 *   <li>an engine is reachable: the tests run;
 *   <li>none is reachable and {@code PIRSTREAM_REQUIRE_CONTAINERS=true} (set by {@code .ci/run} whenever it could
 *       provide one): the class fails, saying why;
 *   <li>otherwise every test of the class is skipped on its own, with the reason, so that the Surefire/Failsafe
 *       counts and reports name each skipped test and a line on stderr says why.
 * </ol>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresContainerEngine.Condition.class)
public @interface RequiresContainerEngine {

    /** The JUnit condition behind the annotation. */
    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            Optional<String> unavailable = ContainerEngine.unavailableReason();
            if (unavailable.isEmpty()) {
                return ConditionEvaluationResult.enabled("a container engine is reachable");
            }
            if (ContainerEngine.REQUIRED) {
                throw new IllegalStateException("PIRSTREAM_REQUIRE_CONTAINERS=true but " + unavailable.get());
            }
            if (context.getTestMethod().isEmpty()) {
                // decide per test, so that each one is counted and reported as skipped
                return ConditionEvaluationResult.enabled("deciding per test");
            }
            String reason = "no container engine, test skipped: " + unavailable.get();
            System.err.println("SKIPPED " + context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName()
                    + ": " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
