package io.reactivemmap.netty.reactor;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SslHandler;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.netty.ReactorNettyWindows;
import io.reactivemmap.netty.http.AccessLog;
import io.reactivemmap.netty.http.AccessLogRecord;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.BodyPart;
import io.reactivemmap.netty.http.FileExchange;
import io.reactivemmap.netty.http.HttpDates;
import io.reactivemmap.netty.http.RequestPath;
import io.reactivemmap.netty.http.ResponsePlan;
import io.reactivemmap.netty.http.RootDirectory;
import io.reactivemmap.netty.http.TlsWindowGuard;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.NettyOutbound;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * A Reactor Netty {@code HttpServer} route that serves the files under a root directory with the semantics of the Netty
 * {@link io.reactivemmap.netty.http.FileServer}: the same request-path rules ({@link RequestPath},
 * {@link RootDirectory}: decode once, no traversal, no hidden files, symbolic links kept inside the root, a
 * directory's {@code index.html} and no listings) and the same response plan ({@link ResponsePlan}): {@code 200} with
 * {@code Content-Length}, {@code ETag}, {@code Last-Modified} and {@code Accept-Ranges}; {@code 206} for one range and
 * {@code multipart/byteranges} for several; {@code 416} with {@code Content-Range: bytes *}{@code /size};
 * {@code 304} ({@code If-None-Match}, {@code If-Modified-Since}); {@code 412} ({@code If-Match},
 * {@code If-Unmodified-Since}); {@code If-Range}; {@code HEAD}. Other methods get {@code 405}, bad paths {@code 400},
 * anything not servable {@code 404}.
 *
 * <pre>{@code
 * FileRoute files = FileRoute.of(FileRouteOptions.defaults(Path.of("/srv/files")).withPrefix("/files"));
 * HttpServer.create()
 *         .route(files::mount)
 *         .bindNow();
 * }</pre>
 *
 * {@link #mount(HttpServerRoutes)} registers the route for every method under its prefix, so that other methods get
 * {@code 405} with {@code Allow: GET, HEAD} from the route; {@code routes.get(...).head(...)} would leave them to
 * Reactor Netty's {@code 404}.
 *
 * <h2>How the body is sent</h2>
 * {@link FileRouteOptions#bodyMode()} chooses per response:
 * <ul>
 *   <li>{@link BodyMode#AUTO} (the default): {@code sendfile} ({@link HttpServerResponse#sendFile(Path, long, long)})
 *       on a plain HTTP/1.1 connection, where no byte needs to pass through user space; mapped windows under TLS and on
 *       HTTP/2 streams, where Reactor Netty's {@code sendFile} would fall back to copying 1 KiB chunks. It is decided
 *       per connection by looking for an {@link SslHandler} in its pipeline (or in its parent's, for an HTTP/2
 *       stream). Unlike {@link io.reactivemmap.netty.http.FileServer}, the route maps small bodies too: it has no
 *       copying path for them.</li>
 *   <li>{@link BodyMode#MAPPED}: always mapped windows through {@link ReactorNettyWindows#send}.</li>
 *   <li>{@link BodyMode#SENDFILE}: always Reactor Netty's {@code sendFile}, including where it copies.</li>
 * </ul>
 * Mapped memory is never handed to a native TLS engine (OpenSSL through netty-tcnative), which would crash the JVM if
 * the file were truncated under it: on such a connection the route uses {@code sendFile} whatever the mode. The JDK
 * engine reads windows through Java accessors, which fail cleanly. Compression is switched off for these responses
 * ({@link HttpServerResponse#compression(boolean)}): a compressor would invalidate the planned {@code Content-Length}
 * and ranges, and could read mapped memory from native code.
 *
 * <p>A multipart body is sent part by part: the framing as a small buffer, each range as its own windows (or
 * {@code sendfile} region), still zero-copy. Each part starts when the previous part's writes have completed, so a
 * response never holds more than {@link FileRouteOptions#maxBytesInFlight()} mapped, whatever the number of ranges.
 *
 * <h2>Errors</h2>
 * Every refusal is decided before the status line is sent, so bad input is always a 4xx, never a 500. A file that
 * changes between planning and sending (shrinks, or is removed) fails the body after the headers are gone: Reactor
 * Netty then closes the connection, and the client sees it end before {@code Content-Length} (never padding).
 *
 * <h2>Access log</h2>
 * Every request the route answers gives one {@link AccessLogRecord} to its {@link AccessLog}
 * ({@link AccessLog#SYSTEM_LOGGER}, the Netty file server's {@code io.reactivemmap.netty.http.access} logger, unless
 * {@link #of(FileRouteOptions, AccessLog)} was given another) when Reactor Netty's send of the response ends:
 * complete when the send completed (its last write succeeded), with the planned length as the bytes sent; aborted
 * when the connection closed or the exchange was cancelled under it; failed when the body failed (a truncated file).
 * A body that did not complete is logged with the bytes sent unknown ({@code -1}): Reactor Netty's send does not say
 * how much of it went out. This is not Reactor Netty's own access log ({@code HttpServer.accessLog(true)}), which
 * works on any route and knows nothing of the file.
 *
 * <h2>Ownership</h2>
 * Each mapped window is owned by the {@code ByteBuf} that wraps it and released by Reactor Netty when its write has
 * completed; a client that disconnects mid-download cancels the body, which closes every window mapped for it (see
 * {@link ReactorNettyWindows}). The file is opened and checked when Reactor Netty subscribes to the response, and
 * that channel is closed when the response ends (complete, error or cancel). Mapped windows come from it, so they are
 * the checked file whatever happens to the path; {@code sendfile} goes by path (Reactor Netty's {@code sendFile}
 * opens the file itself), so there a file replaced in between is served as the new file up to the planned length, and
 * a shorter one ends the connection early.
 *
 * <h2>Threads</h2>
 * Planning runs where Reactor Netty subscribes to the returned publisher (the connection's event loop): a few
 * {@code stat} calls and one {@code open}, as in the Netty file server. On a file system where those can block for
 * long, subscribe on another scheduler:
 * {@code (req, res) -> Mono.defer(() -> Mono.from(files.apply(req, res))).subscribeOn(Schedulers.boundedElastic())}.
 *
 * <p>Thread-safe and stateless per request: one instance serves every connection.
 */
public final class FileRoute implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {

    private final FileRouteOptions options;
    private final FileExchange exchange;
    private final MapOptions mapOptions;

    private FileRoute(FileRouteOptions options, RootDirectory root, AccessLog accessLog) {
        this.options = options;
        this.exchange = FileExchange.of(root, options.rangeLimits(), FileRouteOptions.prefixSegments(options.prefix()),
                accessLog, options.cacheRules()).withPrecompressed(options.precompressed())
                .withDirectoryListings(options.directoryListings());
        this.mapOptions = options.mapOptions();
    }

    /**
     * Serves {@code root} with {@link FileRouteOptions#defaults(Path)}.
     *
     * @throws java.nio.file.NotDirectoryException if {@code root} is not a directory
     * @throws IOException if {@code root} cannot be resolved (for example, it does not exist)
     */
    public static FileRoute of(Path root) throws IOException {
        return of(FileRouteOptions.defaults(root));
    }

    /**
     * Serves {@code options.root()} with these options.
     *
     * @throws java.nio.file.NotDirectoryException if the root is not a directory
     * @throws IOException if the root cannot be resolved (for example, it does not exist)
     */
    public static FileRoute of(FileRouteOptions options) throws IOException {
        return of(options, AccessLog.SYSTEM_LOGGER);
    }

    /**
     * Serves {@code options.root()} with these options, and gives each answered request's record to
     * {@code accessLog} ({@link AccessLog#NONE} for none).
     *
     * @throws java.nio.file.NotDirectoryException if the root is not a directory
     * @throws IOException if the root cannot be resolved (for example, it does not exist)
     */
    public static FileRoute of(FileRouteOptions options, AccessLog accessLog) throws IOException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(accessLog, "accessLog");
        return new FileRoute(options, RootDirectory.of(options.root(), options.followSymlinksOutside(), options.serveHidden()),
                accessLog);
    }

    /** The options this route was made with. */
    public FileRouteOptions options() {
        return options;
    }

    /** The directory served (its real path is {@code root().path()}). */
    public RootDirectory root() {
        return exchange.root();
    }

    /**
     * Registers this route on {@code routes} for every request under {@link FileRouteOptions#prefix()}, whatever its
     * method, so that methods other than {@code GET} and {@code HEAD} are answered {@code 405} with
     * {@code Allow: GET, HEAD} here rather than left unmatched: {@code HttpServer.create().route(files::mount)}.
     * Routes registered before it on the same {@code routes} are matched first.
     *
     * @return {@code routes}, for chaining
     */
    public HttpServerRoutes mount(HttpServerRoutes routes) {
        Objects.requireNonNull(routes, "routes");
        return routes.route(this::isUnderPrefix, this);
    }

    /** Whether the request's path (undecoded, as {@link RequestPath} reads it) lies under the prefix. */
    private boolean isUnderPrefix(HttpServerRequest request) {
        // A bad path that starts with the prefix is the route's to refuse (400); any path at all without a prefix.
        return options.prefix().isEmpty() || exchange.isUnderPrefix(request.uri())
                || request.uri().startsWith(options.prefix() + "/");
    }

    /**
     * Answers one request: plans the response when the returned publisher is subscribed, then sends status, headers and
     * body. Route both {@code GET} and {@code HEAD} here; other methods get {@code 405}.
     */
    @Override
    public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(response, "response");
        return Mono.defer(() -> respond(request, response));
    }

    private Mono<Void> respond(HttpServerRequest request, HttpServerResponse response) {
        long start = System.nanoTime();
        // Headers and ranges are planned for the identity representation: a compressor in between would change both.
        response.compression(false);
        // An HTTP/2 stream has no request line and no Host header (its codec checks the pseudo-headers).
        Channel channel = channel(response);
        boolean stream = isStream(channel);
        FileExchange.Request asked = new FileExchange.Request(request.method().name(), request.uri(),
                stream ? -1 : request.version().majorVersion(), request.version().minorVersion(),
                request.requestHeaders().getAll(HttpHeaderNames.HOST), request.requestHeaders(), false,
                request.remoteAddress(), stream ? "HTTP/2" : request.version().text(), start);
        // Opened when Reactor Netty subscribes and closed when the response ends (complete, error or cancel): mapped
        // windows and sendfile regions come from this checked descriptor, never from the path again.
        return Mono.using(() -> exchange.answer(asked), answer -> answer.loggedWhenDone(send(response, answer, channel), channel),
                FileExchange.FileResponse::close);
    }

    private Mono<Void> send(HttpServerResponse response, FileExchange.FileResponse answer, @Nullable Channel channel) {
        if (answer.closeConnection()) {
            response.keepAlive(false);
        }
        response.status(answer.status());
        response.responseHeaders().setAll(answer.headers());
        if (!answer.headers().contains(HttpHeaderNames.DATE)) { // the exchange dates a response with Expires
            response.header(HttpHeaderNames.DATE, HttpDates.now());
        }
        RootDirectory.Opened opened = answer.file();
        if (answer.body().isEmpty()) {
            return response.send().then();
        }
        if (opened == null && answer.body().size() == 1 && answer.body().getFirst() instanceof BodyPart.Bytes text) {
            return response.sendByteArray(Mono.just(text.bytes())).then();
        }
        boolean mapped = sendsMappedWindows(channel);
        // Not mapped: sendfile regions on a plain connection; under TLS (a native engine, which cannot take a region
        // and must never read mapped memory) copies.
        boolean regions = channel == null || TlsWindowGuard.tlsPipeline(channel) == null;
        // Headers first, then each part once the previous one's writes have completed: framing as small buffers, file
        // ranges as windows (byte-bounded) or sendfile regions. The parts are chained as Monos, each made from the
        // response itself when its turn comes: NettyOutbound's own chaining sends the first part again once three are
        // chained (Reactor Netty 1.3.7: response.send(a).send(b).send(c) wrote a, b, a, c).
        Mono<Void> body = response.sendHeaders().then();
        for (BodyPart part : answer.body()) {
            body = body.then(Mono.defer(() -> sendPart(response, part, Objects.requireNonNull(opened, "file"), mapped,
                    regions)
                    .then()));
        }
        return body;
    }

    private NettyOutbound sendPart(HttpServerResponse response, BodyPart part, RootDirectory.Opened file, boolean mapped,
                                   boolean regions) {
        return switch (part) {
            // A Flux, not a Mono: Reactor Netty 1.3.7 silently drops a Mono body (and sendObject) written after
            // sendHeaders(), while a Flux goes through the same path as the windows.
            case BodyPart.Bytes b -> response.send(Flux.defer(() -> Flux.just(Unpooled.wrappedBuffer(b.bytes()))));
            case BodyPart.FileRange r -> mapped
                    ? ReactorNettyWindows.send(response, Flux.defer(() -> {
                        try {
                            return MappedFile.windows(file.channel(), file.path(), r.offset(), r.length(), mapOptions);
                        } catch (IOException e) {
                            return Flux.error(e);
                        }
                    }))
                    : sendFromDescriptor(response, file, r.offset(), r.length(), regions);
        };
    }

    /**
     * A file range from the checked descriptor, never from the path again (Reactor Netty's {@code sendFile(Path)}
     * would open it a second time): a {@code sendfile} region when {@code region}, else positional reads in copies of
     * 64 KiB.
     */
    private static NettyOutbound sendFromDescriptor(HttpServerResponse response, RootDirectory.Opened file, long offset,
                                                    long length, boolean region) {
        if (region) {
            // What Reactor Netty's own sendFile does, with the checked file instead of a second open of its path: the
            // region leaves the file open (nothing to clean up here), the response closes it when it ends.
            return response.sendUsing(() -> file, (connection, opened) -> {
                try {
                    return opened.region(offset, length);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, opened -> {
            });
        }
        return response.send(file.copies(offset, length, 64 * 1024).map(Unpooled::wrappedBuffer));
    }

    /** Whether this response's file ranges go out as mapped windows (else as sendfile regions or copies from the checked file). */
    private boolean sendsMappedWindows(@Nullable Channel channel) {
        if (options.bodyMode() == BodyMode.SENDFILE) {
            return false;
        }
        if (channel == null) {
            return options.bodyMode() == BodyMode.MAPPED;
        }
        // An HTTP/2 (or HTTP/3) stream is a child channel of the connection's channel, which holds the SslHandler.
        boolean mapped = options.bodyMode() == BodyMode.MAPPED || TlsWindowGuard.tlsPipeline(channel) != null
                || isStream(channel);
        // Under the JDK engine the guard checks each piece before it is encrypted (a file truncated under a window
        // would otherwise send the zeros of the last page's tail, or fault); a native engine must never read mapped
        // memory (a truncated file would crash the JVM): it gets sendfile's copies.
        return mapped && TlsWindowGuard.guardForWindows(channel);
    }

    /** The response's channel (an HTTP/2 stream's own), or null if it has none. */
    private static @Nullable Channel channel(HttpServerResponse response) {
        Channel[] holder = new Channel[1];
        response.withConnection(c -> holder[0] = c.channel()); // runs at once, on this thread
        return holder[0];
    }

    /** Whether the exchange is an HTTP/2 (or HTTP/3) stream: a child channel of its connection's channel. */
    private static boolean isStream(@Nullable Channel channel) {
        Channel parent = channel != null ? channel.parent() : null;
        return parent != null && !(parent instanceof ServerChannel);
    }
}
