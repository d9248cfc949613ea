package io.reactivemmap.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import org.jspecify.annotations.Nullable;

import java.util.Locale;

/**
 * Picks Netty's transport once per process: the Linux native epoll transport when its native library loads, NIO
 * otherwise. The choice and its reason are logged once (through Netty's logger) the first time it is made.
 *
 * <p>Both transports write a mapped {@code ByteBuf} without copying: epoll hands the window's raw address to
 * {@code write}/{@code writev}, NIO passes a direct {@code ByteBuffer} view to {@code SocketChannel.write}.
 * Set the system property {@code reactivemmap.transport} to {@code nio} to force NIO (for example to compare them).
 *
 * <pre>{@code
 * EventLoopGroup group = Transports.eventLoopGroup(0);          // 0: Netty's default thread count
 * new ServerBootstrap().group(group).channel(Transports.serverChannelClass())...
 * }</pre>
 */
public final class Transports {
    private static final InternalLogger LOG = InternalLoggerFactory.getInstance(Transports.class);

    /** A Netty socket transport. */
    public enum Kind {
        /** Linux native epoll ({@code netty-transport-native-epoll}, classifier {@code linux-x86_64}). */
        EPOLL,
        /** Java NIO: everywhere. */
        NIO;

        /** Whether this transport can be used in this process. */
        public boolean isAvailable() {
            return this == NIO || Epoll.isAvailable();
        }

        /**
         * Why this transport cannot be used here (for epoll, usually that its native library did not load), or
         * {@code null} if it {@linkplain #isAvailable() can}. {@link Transports#epollUnavailableReason()} says the same
         * for epoll in a sentence, with the platform and where the native library ships.
         */
        public @Nullable Throwable unavailabilityCause() {
            return this == NIO ? null : Epoll.unavailabilityCause();
        }

        /**
         * A new event loop group of this transport.
         *
         * @param threads event loop threads; 0 for Netty's default (twice the number of cores)
         * @throws IllegalStateException if the transport is not available here, with the reason
         */
        public EventLoopGroup newEventLoopGroup(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be >= 0 (got " + threads + "); 0 means Netty's default");
            }
            return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory());
        }

        /** The I/O handler factory, for building groups with other options. */
        public IoHandlerFactory ioHandlerFactory() {
            checkAvailable();
            return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        }

        /** The server channel class to pass to {@code ServerBootstrap.channel}. */
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            checkAvailable();
            return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        }

        /** The client channel class to pass to {@code Bootstrap.channel}. */
        public Class<? extends SocketChannel> channelClass() {
            checkAvailable();
            return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
        }

        private void checkAvailable() {
            if (!isAvailable()) {
                throw new IllegalStateException("the epoll transport is not available here: " + epollUnavailableReason()
                        + "; use Transports.Kind.NIO or Transports.preferred()");
            }
        }
    }

    private static final class Chosen {
        static final Kind KIND;

        static {
            String forced = System.getProperty("reactivemmap.transport", "").trim().toLowerCase(Locale.ROOT);
            if (forced.equals("nio")) {
                KIND = Kind.NIO;
                LOG.info("reactive-mmap uses the NIO transport: forced by -Dreactivemmap.transport=nio");
            } else if (Epoll.isAvailable()) {
                KIND = Kind.EPOLL;
                LOG.info("reactive-mmap uses the epoll transport: its native library loaded");
            } else {
                KIND = Kind.NIO;
                LOG.info("reactive-mmap uses the NIO transport: epoll is not available (" + epollUnavailableReason() + ")");
            }
            if (!forced.isEmpty() && !forced.equals("nio") && !forced.equals("epoll")) {
                LOG.warn("ignoring -Dreactivemmap.transport=" + forced + ": expected nio or epoll");
            }
        }
    }

    private Transports() {
    }

    /** The transport this process uses: epoll when available (and not forced off), else NIO. Decided and logged once. */
    public static Kind preferred() {
        return Chosen.KIND;
    }

    /** {@link Kind#newEventLoopGroup(int)} of the {@linkplain #preferred() preferred} transport. */
    public static EventLoopGroup eventLoopGroup(int threads) {
        return preferred().newEventLoopGroup(threads);
    }

    /** {@link Kind#serverChannelClass()} of the {@linkplain #preferred() preferred} transport. */
    public static Class<? extends ServerSocketChannel> serverChannelClass() {
        return preferred().serverChannelClass();
    }

    /** {@link Kind#channelClass()} of the {@linkplain #preferred() preferred} transport. */
    public static Class<? extends SocketChannel> channelClass() {
        return preferred().channelClass();
    }

    /** Why epoll cannot be used, or "available". */
    public static String epollUnavailableReason() {
        Throwable cause = Epoll.unavailabilityCause();
        if (cause == null) {
            return "available";
        }
        String os = System.getProperty("os.name") + "/" + System.getProperty("os.arch");
        return cause + " (on " + os + "; the native library ships in io.netty:netty-transport-native-epoll with "
                + "classifier linux-x86_64 or linux-aarch_64)";
    }
}
