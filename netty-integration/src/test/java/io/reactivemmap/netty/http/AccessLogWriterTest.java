package io.reactivemmap.netty.http;

import io.reactivemmap.netty.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.reactivemmap.netty.http.AccessLogRecord.Outcome.COMPLETE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@link AccessLogWriter}: lines off the event loop to a stream or a file, bounded, dropping and saying so. */
class AccessLogWriterTest {
    private static AccessLogRecord record(String target) {
        return new AccessLogRecord(new InetSocketAddress("127.0.0.1", 1), Instant.parse("2026-12-04T19:22:05Z"), "GET",
                target, "HTTP/1.1", 200, 5, 5, null, "curl/8.5.0", Duration.ofMillis(3), COMPLETE);
    }

    @Test
    void aFileIsAppendedToInUtf8OneLinePerRecordAndFlushedOnClose(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("access.log"), "an older line\n");
        try (AccessLogWriter log = AccessLogWriter.toFile(file)) {
            log.log(record("/caf\u00e9.txt"));
            log.log(record("/b\r\nforged"));
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(List.of("an older line", record("/caf\u00e9.txt").line(), record("/b\r\nforged").line()), lines);
        assertTrue(lines.get(1).contains("\"GET /caf\u00e9.txt HTTP/1.1\""), lines.get(1));
    }

    @Test
    void aLineReachesTheFileWithoutACloseWithinAboutASecond(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        try (AccessLogWriter log = AccessLogWriter.toFile(file)) {
            assertTrue(log.offer("one line"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (Files.size(file) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("one line\n", Files.readString(file), "flushed while the writer is open");
        }
    }

    @Test
    void aFullQueueDropsWithoutBlockingCountsAndWarnsWithTheCount() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() { // a pipe nobody reads, until released
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                synchronized (written) {
                    written.write(b, off, len);
                }
            }
        };
        try (CapturedLogs logs = new CapturedLogs(AccessLogWriter.class.getName());
             AccessLogWriter log = AccessLogWriter.toStream("stuck", stuck, 4, Duration.ofMillis(200))) {
            assertTrue(log.offer("first"));
            assertTrue(writing.await(5, TimeUnit.SECONDS), "the writer thread is stuck in the stream");
            long start = System.nanoTime();
            int queued = 0;
            for (int i = 0; i < 1000; i++) {
                if (log.offer("line " + i)) {
                    queued++;
                }
            }
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMillis < 1000, () -> "offers never wait for the stream: " + tookMillis + " ms");
            assertEquals(4, queued, "the queue holds its capacity");
            assertEquals(996, log.dropped());
            release.countDown();
            var warning = logs.await(r -> r.getMessage().contains("dropped 996 line(s)"), Duration.ofSeconds(5),
                    "the warning with the count");
            assertEquals(java.util.logging.Level.WARNING, warning.getLevel());
            assertTrue(warning.getMessage().startsWith("access log stuck: "), warning.getMessage());
        }
        String text;
        synchronized (written) {
            text = written.toString(StandardCharsets.UTF_8);
        }
        assertEquals("first\nline 0\nline 1\nline 2\nline 3\n", text, "what was queued is written, in order");
    }

    @Test
    void aFileThatCannotBeAnAccessLogIsRefusedWithItsName(@TempDir Path dir) throws IOException {
        IOException isDirectory = assertThrows(IOException.class, () -> AccessLogWriter.toFile(dir));
        assertEquals("cannot open the access log " + dir + ": it is a directory (name a file in it, such as "
                + dir.resolve("access.log") + ")", isDirectory.getMessage());
        Path missing = dir.resolve("no/such/dir/access.log");
        IOException noDirectory = assertThrows(IOException.class, () -> AccessLogWriter.toFile(missing));
        assertEquals("cannot open the access log " + missing + ": its directory " + missing.getParent()
                + " does not exist", noDirectory.getMessage());
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
        try {
            assumeFalse(Files.isWritable(locked), "running as root: every directory is writable");
            IOException notWritable = assertThrows(IOException.class, () -> AccessLogWriter.toFile(locked.resolve("a.log")));
            assertEquals("cannot open the access log " + locked.resolve("a.log") + ": it cannot be created: its directory "
                    + locked + " cannot be written (permission denied)", notWritable.getMessage());
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void reopenStartsANewFileByTheNameAfterARotationAndKeepsTheOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        try (AccessLogWriter log = AccessLogWriter.toFile(file)) {
            log.offer("before");
            awaitContent(file, "before\n");
            Files.move(file, rotated); // what logrotate does; the writer still holds the moved file
            log.offer("still the old file");
            assertTrue(log.reopen());
            log.offer("after");
        }
        assertEquals("before\nstill the old file\n", Files.readString(rotated));
        assertEquals("after\n", Files.readString(file));
        try (AccessLogWriter out = AccessLogWriter.toStream("x", new ByteArrayOutputStream())) {
            assertFalse(out.reopen(), "a stream has no file to reopen");
        }
    }

    @Test
    void closeIsIdempotentAndLaterLinesAreDroppedAndCounted(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("access.log");
        AccessLogWriter log = AccessLogWriter.toFile(file);
        log.offer("kept");
        log.close();
        log.close();
        assertFalse(log.offer("late"));
        assertEquals(1, log.dropped());
        assertEquals("kept\n", Files.readString(file));
        assertTrue(log.isEnabled());
        assertEquals("AccessLogWriter[" + file + "]", log.toString());
    }

    private static void awaitContent(Path file, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(Files.exists(file) && Files.readString(file).equals(expected)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, Files.readString(file));
    }
}
