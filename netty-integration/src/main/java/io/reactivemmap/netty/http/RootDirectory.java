package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Objects;

/**
 * The directory a server serves, and the only way from a {@link RequestPath} to an open file under it.
 *
 * <p>Containment is decided on real paths, by name elements ({@link Path#startsWith(Path)}), never by string
 * prefix: {@code /srv/static1} is not under {@code /srv/static}. A symbolic link is followed only when its target
 * lies under the root too, unless {@code followSymlinksOutside} is set. Hidden names (any element starting with a
 * dot, in the request or on the real path below the root) are not served unless {@code serveHidden}. A directory
 * serves its {@code index.html}; without one, it is listed only when the exchange serves listings, and then only
 * with the entries a request would be given ({@link #findDirectory}, {@link #findEntry}). Anything that is not a regular file (FIFO, socket, device)
 * is treated as absent: opening a FIFO would block the event loop until a writer appears.
 *
 * <p>Every refusal is a "not found" to the client: telling apart "outside the root", "hidden" and "absent" would
 * only help someone probing the file system.
 */
public final class RootDirectory {
    private static final String INDEX = "index.html";
    /** Whether a descriptor can be adopted as a channel (see {@link Opened#channel()}); without /proc the portable route is taken. */
    private static final boolean PROC_FD = Files.isDirectory(Path.of("/proc/self/fd"));

    private final Path root;
    private final boolean followSymlinksOutside;
    private final boolean serveHidden;

    private RootDirectory(Path realRoot, boolean followSymlinksOutside, boolean serveHidden) {
        this.root = realRoot;
        this.followSymlinksOutside = followSymlinksOutside;
        this.serveHidden = serveHidden;
    }

    /**
     * The directory {@code root}, with the rules for what under it may be served.
     *
     * @param root an existing directory; its real path (symbolic links resolved) becomes the root
     * @throws NotDirectoryException if {@code root} is not a directory
     */
    public static RootDirectory of(Path root, boolean followSymlinksOutside, boolean serveHidden) throws IOException {
        Objects.requireNonNull(root, "root");
        Path real = root.toRealPath();
        if (!Files.isDirectory(real)) {
            throw new NotDirectoryException(root + " (the server root must be a directory)");
        }
        return new RootDirectory(real, followSymlinksOutside, serveHidden);
    }

    /** The real path of the root. */
    public Path path() {
        return root;
    }

    /** A file found under the root: its real path and the attributes checked before opening. */
    public record Found(Path realPath, BasicFileAttributes attributes) {
    }

    /**
     * Finds the regular file that {@code request} names, or {@code null} if it names nothing servable (absent, outside
     * the root, hidden, a directory without {@code index.html}, not a regular file, unreadable).
     */
    public @Nullable Found find(RequestPath request) {
        if (!serveHidden && request.hasHiddenSegment()) {
            return null;
        }
        Path candidate = candidate(request);
        if (candidate == null) {
            return null;
        }
        Found found = check(candidate);
        if (found != null && request.trailingSlash() && !found.attributes().isDirectory()) {
            return null; // "/a.txt/" names a directory, as the file system itself would say (ENOTDIR)
        }
        if (found != null && found.attributes().isDirectory()) {
            found = check(found.realPath().resolve(INDEX));
            if (found != null && !found.attributes().isRegularFile()) {
                return null;
            }
        }
        return found;
    }

    /** The lexical path {@code request} names under the root, or {@code null} if it would not be one name per segment. */
    private @Nullable Path candidate(RequestPath request) {
        Path candidate = root;
        for (String segment : request.segments()) {
            // Each segment is a single name (RequestPath rejected separators, '..' and control characters), so
            // resolve() appends exactly one element; the check below makes sure of it anyway.
            candidate = candidate.resolve(segment);
        }
        if (!candidate.normalize().equals(candidate) || !candidate.startsWith(root)
                || candidate.getNameCount() != root.getNameCount() + request.segments().size()) {
            return null;
        }
        return candidate;
    }

    /**
     * Whether anything sits at the path {@code request} names under the root, servable or not (a hidden name, a
     * FIFO, a link the policy refuses, a dangling link all count): for a front end that shares a URL space with
     * another handler and must answer a refused path itself rather than pass it on. No link is followed.
     */
    public boolean holds(RequestPath request) {
        Path candidate = candidate(request);
        return candidate != null && Files.exists(candidate, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * The directory {@code request} names, checked as {@link #find} checks a path (hidden names, containment, the
     * link policy), for a listing: its real path, or {@code null} if the request names no servable directory. Whether
     * the directory has an index is not looked at here: {@link #find} has answered that first.
     */
    @Nullable Found findDirectory(RequestPath request) {
        if (!serveHidden && request.hasHiddenSegment()) {
            return null;
        }
        Path candidate = candidate(request);
        Found found = candidate == null ? null : check(candidate);
        return found != null && found.attributes().isDirectory() ? found : null;
    }

    /**
     * The entry {@code name} of the listed {@code directory} (a real path {@link #findDirectory} returned), checked as
     * a request for it would be: a hidden name, a link the policy refuses or one that leads out of the root, anything
     * but a regular file or a directory gives {@code null}. The attributes are those of what a request would get (a
     * link's target).
     */
    @Nullable Found findEntry(Path directory, String name) {
        if (!serveHidden && name.startsWith(".")) {
            return null;
        }
        return check(directory.resolve(name));
    }

    /**
     * Finds and opens the regular file that {@code request} names: {@link #find} then {@link #open}, with the same
     * answers, but on Linux 5.6+ (and with native access enabled) in a handful of system calls instead of a
     * {@code realpath} of every element twice. The kernel opens the path with {@code openat2(RESOLVE_NO_SYMLINKS)}:
     * when no element below the (real) root is a symbolic link, the lexical path is the real path, so containment
     * and hidden names are already decided by {@link RequestPath}, and the descriptor is the file checked (no
     * check-then-open race at all). A path with a symbolic link on it takes the {@code find}/{@code open} route.
     *
     * @return the open file, or {@code null} if the request names nothing servable (the server answers 404)
     * @throws IOException if the file was found but could not be opened (the server answers 404 too)
     */
    public @Nullable Opened openFile(RequestPath request) throws IOException {
        if (!serveHidden && request.hasHiddenSegment()) {
            return null;
        }
        if (PROC_FD && NativeAccess.openNoSymlinksAvailable()) {
            StringBuilder path = new StringBuilder(root.toString());
            for (String segment : request.segments()) {
                path.append('/').append(segment);
            }
            FastResult fast = openFast(path.toString(), request.trailingSlash(), true);
            if (!fast.fallBack()) {
                return fast.opened();
            }
        }
        Found found = find(request);
        return found == null ? null : open(found);
    }

    /** The outcome of {@link #openFast}: an open file, "nothing servable" ({@code opened == null}), or fall back. */
    private record FastResult(@Nullable Opened opened, boolean fallBack) {
        static final FastResult ABSENT = new FastResult(null, false);
        static final FastResult FALL_BACK = new FastResult(null, true);
    }

    private FastResult openFast(String absolutePath, boolean trailingSlash, boolean mayBeDirectory) throws IOException {
        int fd = NativeAccess.openNoSymlinks(absolutePath);
        if (fd < 0) {
            return switch (-fd) {
                case NativeAccess.ENOENT, NativeAccess.ENOTDIR, NativeAccess.EACCES -> FastResult.ABSENT;
                default -> FastResult.FALL_BACK; // ELOOP: a symbolic link on the path; ENOSYS: no openat2
            };
        }
        try {
            NativeAccess.FileStat stat = NativeAccess.fstat(fd);
            if (stat == null) {
                return FastResult.FALL_BACK;
            }
            if (stat.isDirectory() && mayBeDirectory) {
                NativeAccess.closeFd(fd);
                fd = -1;
                FastResult index = openFast(absolutePath + "/" + INDEX, false, false);
                return index;
            }
            if (!stat.isRegularFile() || trailingSlash) {
                return FastResult.ABSENT; // FIFO, socket, device, a directory's directory index, or "/a.txt/"
            }
            Path path = Path.of(absolutePath);
            Instant mtime = Instant.ofEpochSecond(stat.mtimeSeconds(), stat.mtimeNanos());
            Opened opened = new Opened(path, fd, Representation.of(path, stat.size(), mtime));
            fd = -1; // the Opened owns it now
            return new FastResult(opened, false);
        } finally {
            NativeAccess.closeFd(fd);
        }
    }

    private @Nullable Found check(Path candidate) {
        Path real;
        BasicFileAttributes attrs;
        try {
            real = candidate.toRealPath();
            attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | SecurityException e) {
            return null;
        }
        if (!real.startsWith(root)) {
            if (!followSymlinksOutside) {
                return null;
            }
        } else if (!serveHidden) {
            for (Path name : root.relativize(real)) {
                if (name.toString().startsWith(".")) {
                    return null; // a visible name linking to a hidden file is still hidden
                }
            }
        }
        if (!attrs.isRegularFile() && !attrs.isDirectory()) {
            return null; // FIFO, socket, device: opening could block, reading could never end
        }
        return new Found(real, attrs);
    }

    /**
     * An open regular file with the attributes it had when it was checked.
     *
     * <p><b>Ownership:</b> the caller of {@link #openFile} or {@link #open} owns it and {@link #close closes} it once
     * the response is done with the file; closing is idempotent and may happen on any thread. A file opened by the
     * {@code openat2} route holds a bare descriptor: small bodies are {@link #read read} from it with {@code pread},
     * and {@link #channel()} adopts it as a {@link FileChannel} only when one is needed (sendfile, mapping). The JDK
     * cannot wrap a descriptor, so that channel re-opens the very file the descriptor holds through
     * {@code /proc/self/fd}, without walking the served tree again.
     */
    public static final class Opened implements AutoCloseable {
        private final Path path;
        private final Representation representation;
        private final Object lock = new Object();
        /** The descriptor from {@code openat2}, or -1 when the file was opened as a channel (or once closed). */
        private int fd;
        private @Nullable FileChannel channel;
        private boolean closed;

        Opened(Path path, int fd, Representation representation) {
            this.path = path;
            this.fd = fd;
            this.representation = representation;
        }

        Opened(Path path, FileChannel channel, Representation representation) {
            this.path = path;
            this.fd = -1;
            this.channel = channel;
            this.representation = representation;
        }

        /** The real path of the file (below the root unless links outside it are followed). */
        public Path path() {
            return path;
        }

        /** Size and modification time as they were when the file was opened. */
        public Representation representation() {
            return representation;
        }

        /**
         * The file as a channel, opened at the first call (from the descriptor, see the class comment) and closed with
         * this object. The caller must not close it.
         *
         * @throws ClosedChannelException if this file was already closed
         * @throws IOException if the descriptor could not be adopted
         */
        public FileChannel channel() throws IOException {
            synchronized (lock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                FileChannel c = channel;
                if (c == null) {
                    c = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ);
                    channel = c;
                }
                return c;
            }
        }

        /**
         * Bytes {@code [offset, offset + length)} of this checked file as heap copies of at most {@code chunk} bytes,
         * read with positional reads when each is requested: for a writer that must not be given mapped memory (a
         * native TLS engine). A file that ends early fails the flux with an {@link EOFException} naming it.
         */
        public reactor.core.publisher.Flux<java.nio.ByteBuffer> copies(long offset, long length, int chunk) {
            long end = offset + length;
            return reactor.core.publisher.Flux.generate(() -> offset,
                    (Long position, reactor.core.publisher.SynchronousSink<java.nio.ByteBuffer> sink) -> {
                        if (position >= end) {
                            sink.complete();
                            return position;
                        }
                        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) Math.min(chunk, end - position));
                        try {
                            int n = channel().read(buffer, position);
                            if (n < 0) {
                                sink.error(new EOFException(path + " ended at " + position + ", before the planned "
                                        + end + " bytes: it was truncated while being sent"));
                                return position;
                            }
                            sink.next(buffer.flip());
                            return position + n;
                        } catch (IOException e) {
                            sink.error(e);
                            return position;
                        }
                    });
        }

        /**
         * Bytes {@code [position, position + count)} of this checked file as a {@code sendfile} region
         * ({@code DefaultFileRegion}: {@code sendfile(2)} on epoll, {@code FileChannel.transferTo} on NIO), for a plain
         * socket. Releasing the region leaves the file open (a multipart body sends several regions of one file); the
         * owner of this {@code Opened} closes it once the last region's write completes.
         *
         * @throws ClosedChannelException if this file was closed
         */
        public FileRegion region(long position, long count) throws IOException {
            return new SharedChannelRegion(channel(), position, count);
        }

        /** A region that does not close its channel when released: the {@link Opened} owns it. */
        private static final class SharedChannelRegion extends DefaultFileRegion {
            SharedChannelRegion(FileChannel channel, long position, long count) {
                super(channel, position, count);
            }

            @Override
            protected void deallocate() {
                // the channel belongs to the Opened, which closes it
            }
        }

        /**
         * Whether the file is now shorter than when it was opened: it was truncated under a response. One
         * {@code fstat} of the open file (not of the path, which may name another file by now); {@code false} once
         * closed or if the size cannot be read. The front ends ask when a body failed, to log it as failed rather
         * than aborted by the client.
         */
        public boolean shrank() {
            synchronized (lock) {
                if (closed) {
                    return false;
                }
                try {
                    FileChannel c = channel;
                    long now = c != null ? c.size() : java.nio.file.Files.size(Path.of("/proc/self/fd/" + fd));
                    return now < representation.size();
                } catch (IOException | RuntimeException e) {
                    return false;
                }
            }
        }

        /**
         * Reads {@code length} bytes of the file at {@code position} into {@code buf} (a direct buffer with room for
         * them), with {@code pread} on the descriptor when there is one, else through the channel.
         *
         * @throws EOFException if the file ends before them: it was truncated since it was opened
         */
        void read(ByteBuf buf, long position, int length) throws IOException {
            long end = position + length;
            synchronized (lock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                while (position < end) {
                    int want = (int) (end - position);
                    long n;
                    if (fd >= 0 && buf.hasMemoryAddress()) {
                        buf.ensureWritable(want);
                        n = NativeAccess.pread(fd, buf.memoryAddress() + buf.writerIndex(), want, position);
                        if (n < 0) {
                            throw new IOException("reading " + path + " at " + position + " failed (errno " + -n + ")");
                        }
                        buf.writerIndex(buf.writerIndex() + (int) n);
                    } else {
                        n = buf.writeBytes(channel(), position, want);
                    }
                    if (n <= 0) {
                        throw new EOFException(path + " ended at " + position + " while " + end
                                + " bytes were promised: it was truncated while being served");
                    }
                    position += n;
                }
            }
        }

        /** Whether this file holds a bare descriptor ({@code openat2} route) that {@link #sendTo} can send from. */
        boolean hasDescriptor() {
            synchronized (lock) {
                return fd >= 0;
            }
        }

        /**
         * {@code sendfile} of {@code [position, position + length)} straight from the descriptor into {@code socket}.
         *
         * @return bytes sent (possibly fewer than asked on a full non-blocking socket), or {@code -errno};
         *         {@code -ENOSYS} when this file holds no bare descriptor (opened as a channel)
         * @throws ClosedChannelException if this file was already closed
         */
        long sendTo(int socket, long position, long length) throws ClosedChannelException {
            synchronized (lock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (fd < 0) {
                    return -NativeAccess.ENOSYS;
                }
                return NativeAccess.sendfile(socket, fd, position, length);
            }
        }

        @Override
        public void close() throws IOException {
            FileChannel c;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                c = channel;
                channel = null;
                NativeAccess.closeFd(fd);
                fd = -1;
            }
            if (c != null) {
                c.close();
            }
        }

        @Override
        public String toString() {
            return "Opened[" + path + "]";
        }
    }

    /**
     * Opens what {@link #find} found and checks that the file opened is the file checked: the real path is opened
     * without following a final symbolic link, and afterwards the path must still be that same file (same
     * {@code fileKey}: device and inode) with the same size, and must still resolve to itself (no directory on the way
     * swapped for a link). The JDK exposes no {@code fstat} of an open channel, so this is a re-check of the path right
     * after opening rather than of the descriptor itself; a swap and swap-back inside that window needs write access
     * to the served tree.
     *
     * @throws NoSuchFileException if the file changed between the check and the open (the server answers 404)
     */
    public Opened open(Found found) throws IOException {
        Path path = found.realPath();
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Object before = found.attributes().fileKey();
            if (!now.isRegularFile() || !Objects.equals(before, now.fileKey()) || !path.toRealPath().equals(path)
                    || channel.size() != now.size()) {
                throw new NoSuchFileException(path.toString(), null, "changed between the check and the open");
            }
            Representation rep = Representation.of(path, now);
            return new Opened(path, channel, rep);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
