package io.reactivemmap.netty.http;

import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
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
 * serves its {@code index.html}; there are no listings. Anything that is not a regular file (FIFO, socket, device)
 * is treated as absent: opening a FIFO would block the event loop until a writer appears.
 *
 * <p>Every refusal is a "not found" to the client: telling apart "outside the root", "hidden" and "absent" would
 * only help someone probing the file system.
 */
public final class RootDirectory {
    private static final String INDEX = "index.html";

    private final Path root;
    private final boolean followSymlinksOutside;
    private final boolean serveHidden;

    private RootDirectory(Path realRoot, boolean followSymlinksOutside, boolean serveHidden) {
        this.root = realRoot;
        this.followSymlinksOutside = followSymlinksOutside;
        this.serveHidden = serveHidden;
    }

    /**
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
        if (NativeAccess.openNoSymlinksAvailable()) {
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
            // The JDK cannot adopt a descriptor, so the channel re-opens the very file the descriptor holds through
            // /proc/self/fd: no path walk of the served tree happens again.
            FileChannel channel = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ);
            Instant mtime = Instant.ofEpochSecond(stat.mtimeSeconds(), stat.mtimeNanos());
            String identity = Long.toHexString(stat.dev()) + "." + Long.toHexString(stat.ino());
            return new FastResult(new Opened(path, channel, Representation.of(path, stat.size(), mtime, identity)), false);
        } catch (NoSuchFileException e) {
            return FastResult.FALL_BACK; // no /proc mounted: the portable route works without it
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

    /** An open regular file with the attributes it had when checked. The caller closes {@code channel}. */
    public record Opened(Path path, FileChannel channel, Representation representation) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            channel.close();
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
            Representation rep = Representation.of(path, now, Representation.identity(path, now));
            return new Opened(path, channel, rep);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
