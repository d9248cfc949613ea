package io.reactivemmap.netty.http;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import io.reactivemmap.internal.NativeAccess;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * A range of a file sent with {@code sendfile(2)} from the descriptor {@code openat2} returned straight into one
 * epoll socket: what {@code DefaultFileRegion} does, without the {@code FileChannel} it needs (the JDK cannot adopt a
 * descriptor, so that would be a second open). It goes through Netty's outbound queue like any region: Netty writes
 * what comes before it, calls {@link #transferTo} when the socket is writable, and waits for the socket to drain
 * when it returns 0. The {@code target} Netty passes is ignored: the socket is the one given here.
 *
 * <p><b>Ownership:</b> the response owns the file and closes it after this region's write completes; releasing the
 * region does not close it. A file that shrank under the range fails the write ({@link EOFException}), never pads it.
 */
final class DescriptorRegion extends AbstractReferenceCounted implements FileRegion {
    private final RootDirectory.Opened file;
    private final int socket;
    private final long position;
    private final long count;
    private long transferred;

    DescriptorRegion(RootDirectory.Opened file, int socket, long position, long count) {
        this.file = file;
        this.socket = socket;
        this.position = position;
        this.count = count;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Deprecated
    @Override
    public long transfered() {
        return transferred;
    }

    /** @return bytes sent now, 0 when the socket is full */
    @Override
    public long transferTo(WritableByteChannel target, long from) throws IOException {
        long n = file.sendTo(socket, position + from, count - from);
        if (n > 0) {
            transferred += n;
            return n;
        }
        if (n == -NativeAccess.EAGAIN) {
            return 0;
        }
        if (n == 0) {
            throw new EOFException(file.path() + " ended at " + (position + from) + " while " + (position + count)
                    + " bytes were promised: it was truncated while being served");
        }
        throw new IOException("sendfile of " + file.path() + " failed (errno " + -n + ")");
    }

    @Override
    public FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileRegion touch() {
        return this;
    }

    @Override
    public FileRegion touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        // the file belongs to the response, which closes it once this region's write has completed
    }
}
