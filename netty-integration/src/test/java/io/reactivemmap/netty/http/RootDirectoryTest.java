package io.reactivemmap.netty.http;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RootDirectoryTest {
    @TempDir
    Path dir;
    Path root;

    /** A tree with every trap: see {@link #build(Path)}. */
    @BeforeEach
    void setUp() throws Exception {
        root = build(dir);
    }

    /**
     * {@code static/} (the root) holds a.txt, docs/index.html, empty/, .env, .git/config, visible-link-to-hidden,
     * link-in (to a.txt), link-out (to ../outside/secret.txt), dir-link-out (to ../outside), and a FIFO; next to it
     * {@code static1/secret.txt} and {@code outside/secret.txt}.
     */
    static Path build(Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("static"));
        Files.writeString(root.resolve("a.txt"), "a");
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<p>docs</p>");
        Files.createDirectories(root.resolve("empty"));
        Files.writeString(root.resolve(".env"), "SECRET=1");
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), "[core]");
        Files.createSymbolicLink(root.resolve("visible-link-to-hidden"), root.resolve(".env"));
        Files.createSymbolicLink(root.resolve("link-in"), Path.of("a.txt"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createSymbolicLink(root.resolve("link-out"), Path.of("../outside/secret.txt"));
        Files.createSymbolicLink(root.resolve("dir-link-out"), Path.of("../outside"));
        Path sibling = Files.createDirectories(dir.resolve("static1"));
        Files.writeString(sibling.resolve("secret.txt"), "sibling");
        new ProcessBuilder("mkfifo", root.resolve("fifo").toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        return root;
    }

    private RootDirectory.Found find(RootDirectory r, String target) throws Exception {
        return r.find(RequestPath.parse(target));
    }

    @Test
    void regularFilesAndIndexesAreFound() throws Exception {
        RootDirectory r = RootDirectory.of(root, false, false);
        assertEquals(root.toRealPath().resolve("a.txt"), find(r, "/a.txt").realPath());
        assertEquals(root.toRealPath().resolve("docs/index.html"), find(r, "/docs/").realPath());
        assertEquals(root.toRealPath().resolve("docs/index.html"), find(r, "/docs").realPath());
        assertEquals(root.toRealPath().resolve("a.txt"), find(r, "/link-in").realPath(), "links inside the root are followed");
    }

    @Test
    void escapesHiddenFilesAndSpecialFilesAreNotFound() throws Exception {
        RootDirectory r = RootDirectory.of(root, false, false);
        for (String target : new String[] {"/link-out", "/dir-link-out/secret.txt", "/.env", "/.git/config", "/%2eenv",
                "/visible-link-to-hidden", "/empty", "/empty/", "/", "/fifo", "/missing", "/a.txt/", "/a.txt/x",
                "/a.txt.", "/a.txt%20", "/%252e%252e/static1/secret.txt", "/%E2%80%A4%E2%80%A4/outside/secret.txt",
                "/../static1/secret.txt".replace("..", "%252e%252e"), "/static1/secret.txt"}) {
            assertNull(find(r, target), target);
        }
    }

    private static final String[] EVERY_TARGET = {"/a.txt", "/docs/", "/docs", "/docs/index.html", "/link-in",
            "/dir-link-in/a.txt", "/dir-link-in/index.html", "/link-out", "/dir-link-out/secret.txt", "/.env",
            "/.git/config", "/visible-link-to-hidden", "/empty", "/empty/", "/", "/fifo", "/missing", "/a.txt/",
            "/a.txt/x", "/docs/index.html/", "/static1/secret.txt", "/link-in/"};

    @Test
    @Timeout(20)
    void openFileAnswersExactlyAsFindThenOpenOnEveryPath() throws Exception {
        // Without openat2, openFile takes the portable route and this would compare that route with itself:
        // reported as skipped, not passed.
        org.junit.jupiter.api.Assumptions.assumeTrue(io.reactivemmap.internal.NativeAccess.openNoSymlinksAvailable(),
                "openat2 is not usable here (Linux < 5.6, a seccomp filter, or native access off)");
        Files.createSymbolicLink(root.resolve("dir-link-in"), Path.of("docs"));
        Files.writeString(root.resolve("docs/a.txt"), "docs a");
        for (boolean linksOut : new boolean[] {false, true}) {
            for (boolean hidden : new boolean[] {false, true}) {
                RootDirectory r = RootDirectory.of(root, linksOut, hidden);
                for (String target : EVERY_TARGET) {
                    String what = target + " (links out " + linksOut + ", hidden " + hidden + ")";
                    RequestPath path = RequestPath.parse(target);
                    RootDirectory.Found found = r.find(path);
                    try (RootDirectory.Opened slow = found == null ? null : r.open(found);
                         RootDirectory.Opened fast = r.openFile(path)) {
                        if (slow == null) {
                            assertNull(fast, what);
                            continue;
                        }
                        assertNotNull(fast, what);
                        assertEquals(slow.path(), fast.path(), what);
                        assertEquals(slow.representation(), fast.representation(), what + ": same size, date, ETag, type");
                        assertEquals(Files.size(slow.path()), fast.channel().size(), what);
                        java.nio.ByteBuffer a = java.nio.ByteBuffer.allocate(64), b = java.nio.ByteBuffer.allocate(64);
                        slow.channel().read(a, 0);
                        fast.channel().read(b, 0);
                        assertEquals(a.flip(), b.flip(), what + ": the same bytes");
                    }
                }
            }
        }
    }

    @Test
    void openFileOfAReplacedFileHasANewEntityTagUnlessItsSizeAndModificationTimeAreTheSame() throws Exception {
        RootDirectory r = RootDirectory.of(root, false, false);
        java.nio.file.attribute.FileTime mtime = java.nio.file.attribute.FileTime.from(
                java.time.Instant.parse("2024-01-02T03:04:05.678901234Z"));
        Files.setLastModifiedTime(root.resolve("a.txt"), mtime);
        EntityTag before;
        try (RootDirectory.Opened first = r.openFile(RequestPath.parse("/a.txt"))) {
            before = first.representation().etag();
        }
        Path replacement = Files.writeString(dir.resolve("replacement"), "b"); // same size, new inode, another mtime
        Files.setLastModifiedTime(replacement, java.nio.file.attribute.FileTime.from(
                java.time.Instant.parse("2024-01-02T03:04:05.678901235Z")));
        Files.move(replacement, root.resolve("a.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (RootDirectory.Opened second = r.openFile(RequestPath.parse("/a.txt"))) {
            assertNotEquals(before, second.representation().etag(), "a nanosecond of mtime apart");
        }
        Files.setLastModifiedTime(root.resolve("a.txt"), mtime);
        try (RootDirectory.Opened third = r.openFile(RequestPath.parse("/a.txt"))) {
            // the tag of a replica: size and mtime only, so that copies on other hosts (other inodes) agree
            assertEquals(before, third.representation().etag(), "same size and mtime, another inode: the same tag");
        }
    }

    @Test
    void aSiblingWithTheRootAsStringPrefixIsOutside() throws Exception {
        // /x/static1 starts with the string "/x/static" but not with the path /x/static
        RootDirectory r = RootDirectory.of(root, true, false);
        Files.createSymbolicLink(root.resolve("to-sibling"), Path.of("../static1/secret.txt"));
        assertNotNull(find(r, "/to-sibling"), "allowed when links may leave the root");
        assertNull(find(RootDirectory.of(root, false, false), "/to-sibling"));
    }

    @Test
    void optionsAllowLinksOutAndHiddenFiles() throws Exception {
        RootDirectory r = RootDirectory.of(root, true, true);
        assertNotNull(find(r, "/link-out"));
        assertNotNull(find(r, "/dir-link-out/secret.txt"));
        assertNotNull(find(r, "/.env"));
        assertNull(find(r, "/fifo"), "never a FIFO");
    }

    @Test
    @Timeout(10)
    void openedFileIsTheCheckedFile() throws Exception {
        RootDirectory r = RootDirectory.of(root, false, false);
        RootDirectory.Found found = find(r, "/a.txt");
        try (RootDirectory.Opened opened = r.open(found)) {
            assertEquals(1, opened.channel().size());
            assertEquals(1, opened.representation().size());
        }
        // replaced between check and open: refused
        Path replacement = root.resolve("replacement");
        Files.writeString(replacement, "b");
        Files.move(replacement, root.resolve("a.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThrows(NoSuchFileException.class, () -> r.open(found));
        // replaced by a symbolic link: refused without following it
        RootDirectory.Found again = find(r, "/a.txt");
        Files.delete(root.resolve("a.txt"));
        Files.createSymbolicLink(root.resolve("a.txt"), Path.of("../outside/secret.txt"));
        assertThrows(java.io.IOException.class, () -> r.open(again));
    }

    @Test
    void theRootMustBeADirectory() {
        assertThrows(NotDirectoryException.class, () -> RootDirectory.of(root.resolve("a.txt"), false, false));
        assertThrows(NoSuchFileException.class, () -> RootDirectory.of(root.resolve("nope"), false, false));
    }

    @Test
    void anOpenedFileReadsWithoutAChannelAndClosesEveryDescriptorOnce() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.reactivemmap.internal.NativeAccess.openNoSymlinksAvailable(),
                "openat2 is not usable here: only the portable route runs (covered below)");
        byte[] content = new byte[200_000];
        new java.util.Random(7).nextBytes(content);
        Path file = Files.write(root.resolve("big.bin"), content);
        RootDirectory r = RootDirectory.of(root, false, false);
        RootDirectory.Opened opened = r.openFile(RequestPath.parse("/big.bin"));
        assertNotNull(opened);
        io.netty.buffer.ByteBuf buf = io.netty.buffer.UnpooledByteBufAllocator.DEFAULT.directBuffer(content.length);
        try {
            assertTrue(buf.hasMemoryAddress(), "Netty exposes direct buffer addresses here; without them reads take the channel");
            opened.read(buf, 1000, content.length - 1000);
            assertEquals(1, io.reactivemmap.netty.TestFiles.openDescriptors(file), "the read used the descriptor: no channel yet");
            byte[] read = new byte[buf.readableBytes()];
            buf.readBytes(read);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 1000, content.length), read);
        } finally {
            buf.release();
        }
        assertEquals(content.length, opened.channel().size());
        assertEquals(2, io.reactivemmap.netty.TestFiles.openDescriptors(file), "descriptor + adopted channel");
        assertSame(opened.channel(), opened.channel(), "adopted once");
        opened.close();
        opened.close();
        assertEquals(0, io.reactivemmap.netty.TestFiles.openDescriptors(file));
        io.netty.buffer.ByteBuf after = io.netty.buffer.Unpooled.directBuffer(10);
        try {
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> opened.read(after, 0, 10));
            assertThrows(java.nio.channels.ClosedChannelException.class, opened::channel);
        } finally {
            after.release();
        }
    }

    @Test
    void aFileTruncatedAfterOpeningEndsItsReadWithAnErrorNamingIt() throws Exception {
        Path file = Files.write(root.resolve("shrinks.bin"), new byte[100_000]);
        RootDirectory r = RootDirectory.of(root, false, false);
        for (boolean fast : new boolean[] {true, false}) {
            Files.write(file, new byte[100_000]);
            RequestPath path = RequestPath.parse("/shrinks.bin");
            try (RootDirectory.Opened opened = fast ? r.openFile(path) : r.open(r.find(path))) {
                assertNotNull(opened);
                try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.truncate(60_000);
                }
                io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.directBuffer(100_000);
                try {
                    java.io.EOFException e = assertThrows(java.io.EOFException.class, () -> opened.read(buf, 0, 100_000));
                    assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("truncated"),
                            e.getMessage());
                } finally {
                    buf.release();
                }
            }
        }
        assertEquals(0, io.reactivemmap.netty.TestFiles.openDescriptors(file));
    }
}
