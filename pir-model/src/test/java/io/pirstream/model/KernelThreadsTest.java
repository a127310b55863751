package io.pirstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KernelThreadsTest {

    private String threads;
    private String interop;

    @BeforeEach
    void remember() {
        threads = System.getProperty(KernelThreads.PROPERTY);
        interop = System.getProperty("ai.djl.pytorch.num_interop_threads");
    }

    @AfterEach
    void restore() {
        restore(KernelThreads.PROPERTY, threads);
        restore("ai.djl.pytorch.num_interop_threads", interop);
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    @Test
    void oneSettingForBothRuntimes() {
        KernelThreads.use(3);
        assertEquals("3", System.getProperty(KernelThreads.PROPERTY), "PyTorch reads the count from DJL's property");
        assertEquals("1", System.getProperty("ai.djl.pytorch.num_interop_threads"), "one inter-op thread");
        assertEquals(3, KernelThreads.current(), "ONNX Runtime takes the same count");
    }

    @Test
    void unsetMeansOnePerCore() {
        System.clearProperty(KernelThreads.PROPERTY);
        assertEquals(Runtime.getRuntime().availableProcessors(), KernelThreads.current(), "default: every core");
    }

    @Test
    void badCountsAreRefusedWithTheSettingNamed() {
        assertThrows(IllegalArgumentException.class, () -> KernelThreads.use(0), "zero threads");
        System.setProperty(KernelThreads.PROPERTY, "two");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, KernelThreads::current, "not a number");
        assertTrue(e.getMessage().contains(KernelThreads.PROPERTY), "names the property: " + e.getMessage());
    }
}
