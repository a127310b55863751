package io.pirstream.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives tests a running {@link EmbeddedKafkaBroker} as a parameter. One broker is
 * shared by every test class of the JVM (it starts in a few seconds, and topics isolate tests); it stops when
 * the test run ends.
 *
 * <pre>{@code
 * @ExtendWith(EmbeddedKafkaExtension.class)
 * class MyIT {
 *     @Test void works(EmbeddedKafkaBroker broker) { ... }
 * }
 * }</pre>
 */
public final class EmbeddedKafkaExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);

    /** Closes the shared broker when JUnit closes the root store. */
    private record SharedBroker(EmbeddedKafkaBroker broker) implements AutoCloseable {
        @Override
        public void close() {
            broker.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return shared(context);
    }

    /** The JVM-wide broker, started on first use. */
    public static EmbeddedKafkaBroker shared(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(SharedBroker.class, key -> new SharedBroker(EmbeddedKafkaBroker.builder().build().start()),
                        SharedBroker.class)
                .broker();
    }
}
