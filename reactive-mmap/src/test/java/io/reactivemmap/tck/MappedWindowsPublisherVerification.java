package io.reactivemmap.tck;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import io.reactivemmap.MappingBudget;
import io.reactivemmap.MappingStats;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;

/**
 * The Reactive Streams TCK against {@link MappedFile#windows}: a file of {@code n} bytes cut into 1-byte windows is a
 * publisher of exactly {@code n} elements.
 *
 * <p>TCK subscribers never close what they receive, so two things are arranged. (1) The options allow far more live
 * bytes than any TCK test holds ({@code maxLiveBytes} 1 GiB; each 1-byte window maps one page, and
 * {@link #maxElementsFromPublisher()} caps a test at 1024 windows = 4 MiB), so the byte bound never stalls a test
 * that expects elements, and each subscription counts against a private budget, never the global one. (2) The
 * publisher under test records every window it emits ({@code doOnNext} only observes: it forwards request and cancel
 * untouched, so the rules are checked against the source itself) and each test method ends by closing them and
 * asserting that nothing stays mapped: read-ahead and late arrivals that the source must close by itself would show
 * up there. The wrapper is the lesser evil to a {@code doOnNext(MappedWindow::close)}, which would let the source see
 * every window closed at once and so test a different backpressure state than a real holding subscriber creates.
 *
 * <p>Runs on the JUnit Platform through testng-engine, next to the Jupiter tests.
 */
public class MappedWindowsPublisherVerification extends PublisherVerification<MappedWindow> {
    private static final long MAX_ELEMENTS = 1024;
    private final Queue<MappedWindow> emitted = new ConcurrentLinkedQueue<>();
    private Path dir;

    public MappedWindowsPublisherVerification() {
        super(new TestEnvironment(500, 100));
    }

    @BeforeClass
    public void createDirectory() throws IOException {
        dir = Files.createTempDirectory("reactive-mmap-test-tck");
    }

    @AfterMethod
    public void closeWhatTheTckSubscribersKeptAndCheckNothingElseIsMapped() throws Exception {
        MappedWindow w;
        while ((w = emitted.poll()) != null) {
            w.close();
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        MappingStats s = MappingStats.snapshot();
        while (s.liveWindows() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = MappingStats.snapshot();
        }
        if (s.liveWindows() != 0 || s.mappedBytes() != 0) {
            throw new AssertionError("windows the TCK subscribers never received are still mapped: " + s);
        }
    }

    @AfterClass(alwaysRun = true)
    public void deleteDirectory() throws IOException {
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Override
    public Publisher<MappedWindow> createPublisher(long elements) {
        Path file = fileOf(elements);
        MapOptions options = MapOptions.defaults()
                .withWindowSize(1)
                .withReadAhead(2)
                .withMaxLiveBytes(1L << 30)
                .withBudget(MappingBudget.of(1_000_000, 1L << 40));
        return MappedFile.windows(file, options).doOnNext(emitted::add);
    }

    @Override
    public Publisher<MappedWindow> createFailedPublisher() {
        return MappedFile.windows(dir.resolve("does-not-exist.bin"));
    }

    @Override
    public long maxElementsFromPublisher() {
        return MAX_ELEMENTS;
    }

    private Path fileOf(long elements) {
        Path file = dir.resolve("elements-" + elements + ".bin");
        try {
            if (!Files.exists(file)) {
                byte[] content = new byte[(int) elements];
                for (int i = 0; i < content.length; i++) {
                    content[i] = (byte) i;
                }
                Files.write(file, content);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
