package io.reactivemmap.netty.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import io.reactivemmap.MappingBudget;

/**
 * The mapping budget of one connection: a budget nested in the server's ({@link MappingBudget#of(long, long,
 * MappingBudget)}), so that one connection's bodies together, however many HTTP/2 streams it opens and however slowly
 * it reads them, never hold more than {@link FileServerOptions#maxWindowsPerConnection()} windows and
 * {@link FileServerOptions#maxBytesInFlightPerConnection()} bytes of the server's budget. A stream over it waits, in
 * arrival order, for the connection's own windows to be unmapped (without a time limit: it waits only for its
 * siblings, which its client reads or not); only the wait for the server's budget, which all connections share, is
 * bounded by {@link FileServerOptions#budgetWaitTimeout()}. Kept as an attribute of the connection's channel; a stream
 * channel finds it on its parent.
 */
final class ConnectionBudget {
    private static final AttributeKey<MappingBudget> KEY = AttributeKey.valueOf(ConnectionBudget.class, "budget");

    private ConnectionBudget() {
    }

    /** Gives a new connection its budget. */
    static void attach(Channel connection, FileServerOptions options) {
        connection.attr(KEY).set(MappingBudget.of(options.maxWindowsPerConnection(), options.maxBytesInFlightPerConnection(),
                options.mappingBudget()));
    }

    /** The budget of the connection {@code channel} belongs to (itself, or an HTTP/2 stream's parent), else {@code fallback}. */
    static MappingBudget of(Channel channel, MappingBudget fallback) {
        Channel connection = channel instanceof Http2StreamChannel && channel.parent() != null ? channel.parent() : channel;
        MappingBudget budget = connection.attr(KEY).get();
        return budget != null ? budget : fallback;
    }
}
