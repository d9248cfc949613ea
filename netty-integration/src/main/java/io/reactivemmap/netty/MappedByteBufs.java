package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.reactivemmap.MappedWindow;
import reactor.core.publisher.Flux;

/**
 * CONTRACT STUB (to be implemented on the netty branch): mapped windows as read-only, zero-copy {@link ByteBuf}s.
 */
public final class MappedByteBufs {
    private MappedByteBufs() {
    }

    /**
     * A read-only {@link ByteBuf} over the window's bytes whose final {@code release()} releases the window.
     *
     * @param window ownership of {@code window} is transferred to the returned buffer
     */
    public static ByteBuf wrap(MappedWindow window) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Each window wrapped by {@link #wrap}; windows and buffers dropped on the way are released. */
    public static Flux<ByteBuf> byteBufs(Flux<MappedWindow> windows) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
