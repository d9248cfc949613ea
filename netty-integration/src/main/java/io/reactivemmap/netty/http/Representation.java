package io.reactivemmap.netty.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * What the server knows about a file before sending it: size, validators and type.
 *
 * <h2>Validators replicas agree on</h2>
 * The entity tag is made of the modification time (nanoseconds since the epoch, where the file system keeps them)
 * and the size only, as nginx makes its {@code "<mtime hex>-<size hex>"}: two copies of a tree whose modification
 * times were kept ({@code cp -p}, {@code rsync -t}, {@code Files.copy} with {@code COPY_ATTRIBUTES}, one tarball
 * unpacked on every host) give the same {@code ETag} and {@code Last-Modified} on every replica behind a load
 * balancer, so a client that resumes a download from another replica with {@code If-Range} gets its {@code 206}. Nothing
 * of the file's identity (device, inode) is in it: those differ between hosts. The price is that a file replaced by
 * another of the same size and the very same modification time keeps its tag; {@code rsync} makes the same
 * assumption when it skips such a file.
 *
 * @param size bytes
 * @param lastModified modification time truncated to whole seconds (what {@code Last-Modified} can carry)
 * @param etag strong tag {@code "<mtime in nanoseconds, hex>-<size, hex>"}: it changes when the file is rewritten or
 *             replaced with another size or modification time
 * @param contentType the {@code Content-Type} value
 */
public record Representation(long size, Instant lastModified, EntityTag etag, String contentType) {
    /** Checks that no component is null and {@code size >= 0}. */
    public Representation {
        Objects.requireNonNull(lastModified, "lastModified");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(contentType, "contentType");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0 (got " + size + ")");
        }
    }

    /**
     * Reads the attributes of the regular file {@code file} (symbolic links are not followed).
     *
     * @throws IOException if the file's attributes cannot be read
     */
    public static Representation of(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return of(file, attrs);
    }

    static Representation of(Path file, BasicFileAttributes attrs) {
        return of(file, attrs.size(), attrs.lastModifiedTime().toInstant());
    }

    static Representation of(Path file, long size, Instant mtime) {
        Path name = file.getFileName();
        return new Representation(size, mtime.truncatedTo(ChronoUnit.SECONDS), etag(size, mtime),
                ContentTypes.forFileName(name == null ? "" : name.toString()));
    }

    /** {@code "<mtime in nanoseconds since the epoch, hex>-<size, hex>"}. */
    static EntityTag etag(long size, Instant mtime) {
        long mtimeNanos = mtime.getEpochSecond() * 1_000_000_000L + mtime.getNano();
        return EntityTag.strong(Long.toHexString(mtimeNanos) + "-" + Long.toHexString(size));
    }
}
