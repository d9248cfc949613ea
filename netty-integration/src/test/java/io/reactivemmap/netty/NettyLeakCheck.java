package io.reactivemmap.netty;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Netty leak detection at {@link ResourceLeakDetector.Level#PARANOID} where a leak <em>fails the test</em> instead of
 * printing a log line: installs a {@link ResourceLeakDetectorFactory} whose detectors record every leak report, and
 * after each test collects garbage and polls every detector, failing the test with the leak records.
 *
 * <p>The factory must be in place before Netty (and {@code MappedByteBuf}) create their detectors, that is before any
 * {@code ByteBuf} class is initialised: this class installs it in its static initialiser and then initialises
 * {@code MappedByteBuf}; {@link #beforeAll} fails loudly if something initialised it earlier (in which case the checks
 * would silently see nothing). Register it first: {@code @ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})},
 * and do not touch Netty in static initialisers of test classes.
 */
public final class NettyLeakCheck implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static final List<RecordingDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();
    private static final boolean INSTALLED;

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
        try {
            Class.forName("io.reactivemmap.netty.MappedByteBuf", true, NettyLeakCheck.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
        INSTALLED = DETECTORS.stream().anyMatch(d -> d.type.equals("MappedByteBuf"));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!INSTALLED) {
            fail("MappedByteBuf's leak detector was created before NettyLeakCheck installed its factory: leaks would go "
                    + "unnoticed. Register NettyLeakCheck first and keep Netty out of test static initialisers.");
        }
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            fail("leak detection level is " + ResourceLeakDetector.getLevel() + ", expected PARANOID");
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        List<String> earlier = collectLeaks();
        if (!earlier.isEmpty()) {
            fail("Netty reported leaks from an earlier test:\n" + String.join("\n\n", earlier));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            fail("Netty reported " + leaks.size() + " leak(s):\n" + String.join("\n\n", leaks));
        }
    }

    /**
     * Collects garbage, makes every detector look at its queue of collected-but-unreleased objects, and returns (and
     * forgets) the leaks reported so far.
     */
    public static List<String> collectLeaks() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(20); // the reference handler thread enqueues collected references asynchronously
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            for (RecordingDetector<?> d : DETECTORS) {
                d.poll();
            }
        }
        List<String> out = new ArrayList<>(LEAKS);
        LEAKS.removeAll(out);
        return out;
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation") // the abstract method every factory must implement; the others delegate to it
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            RecordingDetector<T> d = new RecordingDetector<>(resource, samplingInterval);
            DETECTORS.add(d);
            return d;
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        final String type;

        RecordingDetector(Class<?> resource, int samplingInterval) {
            super(resource, samplingInterval);
            this.type = resource.getSimpleName();
        }

        /** Detectors only look for leaks when they track a new object: track (and release) a probe. */
        @SuppressWarnings("unchecked")
        void poll() {
            Object probe = new Object();
            ResourceLeakTracker<Object> t = ((ResourceLeakDetector<Object>) (ResourceLeakDetector<?>) this).track(probe);
            if (t != null) {
                t.close(probe);
            }
        }

        @Override
        protected boolean needReport() {
            return true; // whatever the logging configuration says
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected (no records)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
