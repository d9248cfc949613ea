package io.reactivemmap.netty.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;

/**
 * What the server knows about a file before sending it: size, validators and type.
 *
 * @param size bytes
 * @param lastModified modification time truncated to whole seconds (what {@code Last-Modified} can carry)
 * @param etag strong tag derived from the file's identity (device and inode), size and modification time in
 *             nanoseconds: it changes when the file is replaced (new inode) or rewritten in place (size or mtime)
 * @param contentType the {@code Content-Type} value
 */
public record Representation(long size, Instant lastModified, EntityTag etag, String contentType) {
    public Representation {
        Objects.requireNonNull(lastModified, "lastModified");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(contentType, "contentType");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0 (got " + size + ")");
        }
    }

    /** Reads the attributes of the regular file {@code file} (symbolic links are not followed). */
    public static Representation of(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return of(file, attrs, identity(file, attrs));
    }

    static Representation of(Path file, BasicFileAttributes attrs, String identity) {
        return of(file, attrs.size(), attrs.lastModifiedTime().toInstant(), identity);
    }

    static Representation of(Path file, long size, Instant mtime, String identity) {
        long mtimeNanos = mtime.getEpochSecond() * 1_000_000_000L + mtime.getNano();
        EntityTag etag = EntityTag.strong(identity + "-" + Long.toHexString(size) + "-" + Long.toHexString(mtimeNanos));
        Path name = file.getFileName();
        return new Representation(size, mtime.truncatedTo(ChronoUnit.SECONDS), etag,
                ContentTypes.forFileName(name == null ? "" : name.toString()));
    }

    /**
     * The file's identity as hex: {@code dev.ino} from the {@code unix} attribute view where the platform has it,
     * otherwise a hash of {@link BasicFileAttributes#fileKey()} (or of the path when there is no key either).
     */
    static String identity(Path file, BasicFileAttributes attrs) {
        try {
            Map<String, Object> unix = Files.readAttributes(file, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            Object dev = unix.get("dev");
            Object ino = unix.get("ino");
            if (dev instanceof Long d && ino instanceof Long i) {
                return Long.toHexString(d) + "." + Long.toHexString(i);
            }
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException notUnix) {
            // no unix view on this platform (or file system): fall back to the portable file key below
        }
        Object key = attrs.fileKey();
        return Integer.toHexString(key != null ? key.hashCode() : file.toAbsolutePath().hashCode());
    }
}
