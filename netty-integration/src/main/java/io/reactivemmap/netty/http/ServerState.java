package io.reactivemmap.netty.http;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.reactivemmap.MappingStats;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every connection of one {@link FileServer} shares, HTTP/1.1 ({@link FileRequestHandler}) and HTTP/2
 * ({@link Http2Server}, {@link Http2StreamHandler}) alike: the options, the root, how requests are answered and bodies
 * sent, the counters the admin port's {@code /_stats} reports, and the {@link ServerMetrics} told of what happens.
 */
final class ServerState {
    final FileServerOptions options;
    final RootDirectory root;
    /** What every request of this server gets, HTTP/1.1 and HTTP/2 alike. */
    final FileExchange exchange;
    /** How bodies are sent, per protocol: the only place either is chosen. */
    final BodySenders bodies;
    /** Told of requests, bytes, connections, streams, timeouts and handshakes; {@link ServerMetrics#NONE} by default. */
    final ServerMetrics metrics;
    final AtomicInteger openConnections = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    /** Every open connection (a closed channel leaves the group by itself). */
    final ChannelGroup connections = new DefaultChannelGroup("file-server-connections", GlobalEventExecutor.INSTANCE);
    /** Set by {@link FileServer#close()} before it closes the connections: a connection registered later closes itself. */
    volatile boolean closing;
    /**
     * Set by {@link FileServer#drain} before it looks at the connections: a response that starts later says
     * {@code Connection: close} and its connection closes when it ends; a connection registered later closes itself.
     */
    volatile boolean draining;
    /** Run after each connection closed (the count already lowered): how a drain sees the last one go. */
    volatile Runnable connectionClosed = () -> { };

    /** With the {@linkplain BodySenders#of body senders} the options call for, logging to the default access log. */
    ServerState(FileServerOptions options, RootDirectory root) {
        this(options, root, AccessLog.SYSTEM_LOGGER);
    }

    /** With the {@linkplain BodySenders#of body senders} the options call for, logging to {@code accessLog}. */
    ServerState(FileServerOptions options, RootDirectory root, AccessLog accessLog) {
        this(options, root, BodySenders.of(options), accessLog);
    }

    ServerState(FileServerOptions options, RootDirectory root, BodySenders bodies, AccessLog accessLog) {
        this(options, root, bodies, accessLog, ServerMetrics.NONE);
    }

    /** With {@code metrics} told of every request's end (through the access log's records) and of the rest. */
    ServerState(FileServerOptions options, RootDirectory root, BodySenders bodies, AccessLog accessLog,
                ServerMetrics metrics) {
        this.options = options;
        this.root = root;
        this.bodies = bodies;
        this.metrics = metrics;
        this.exchange = FileExchange.of(root, options.rangeLimits(), java.util.List.of(),
                metrics == ServerMetrics.NONE ? accessLog : new CountingAccessLog(accessLog, metrics), options.cacheRules())
                .withPrecompressed(options.precompressed()).withDirectoryListings(options.directoryListings());
    }

    /**
     * Counts each record (its status and protocol) before it hands it to the access log: every answered request of
     * either protocol ends in exactly one record, so the requests meter and the access log never disagree.
     */
    private record CountingAccessLog(AccessLog log, ServerMetrics metrics) implements AccessLog {
        @Override
        public void log(AccessLogRecord record) {
            metrics.requestDone(record.status(), record.protocol());
            if (log.isEnabled()) {
                log.log(record);
            }
        }

        @Override
        public boolean isEnabled() {
            return true; // the meters want every record, even when the log itself is off
        }
    }

    /**
     * The {@code /_stats} body: the process's mapping counters, this server's connections and requests, and how
     * {@code sender} (the one of the protocol asking, from {@link #bodies}) sends bodies. {@code moreFields} is appended
     * inside the object (empty, or starting with a comma).
     */
    String statsJson(BodySender sender, String moreFields) {
        MappingStats s = MappingStats.snapshot();
        return "{\"liveWindows\":" + s.liveWindows() + ",\"mappedBytes\":" + s.mappedBytes()
                + ",\"peakMappedBytes\":" + s.peakMappedBytes() + ",\"windowsMapped\":" + s.windowsMapped()
                + ",\"openConnections\":" + openConnections.get() + ",\"requests\":" + requests.sum()
                + ",\"bodyMode\":\"" + sender.describe() + "\"" + moreFields + "}\n";
    }
}
