package io.reactivemmap.netty.spring;

import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.http.AccessLog;
import io.reactivemmap.netty.http.AccessLogRecord;
import io.reactivemmap.netty.http.CacheRules;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.BodyPart;
import io.reactivemmap.netty.http.FileExchange;
import io.reactivemmap.MappedFile;
import java.nio.channels.FileChannel;
import io.reactivemmap.netty.http.HttpDates;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RequestPath;
import io.reactivemmap.netty.http.ResponsePlan;
import io.reactivemmap.netty.http.RootDirectory;
import io.reactivemmap.netty.http.TlsWindowGuard;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.pattern.PathPattern;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Serves the files under a root directory to Spring WebFlux, as mapped windows, with the semantics of the Netty file
 * server ({@link io.reactivemmap.netty.http.FileServer}): the same request-path rules
 * ({@link RequestPath}, {@link RootDirectory}: decode once, no traversal, no hidden files, symbolic links kept inside
 * the root) and the same response plan ({@link ResponsePlan}): {@code 200} with {@code Content-Length}, {@code ETag},
 * {@code Last-Modified} and {@code Accept-Ranges}; {@code 206} for one range; {@code multipart/byteranges} for several;
 * {@code 416} with {@code Content-Range: bytes *}{@code /size}; {@code 304} ({@code If-None-Match},
 * {@code If-Modified-Since}); {@code 412} ({@code If-Match}, {@code If-Unmodified-Since}); {@code If-Range};
 * {@code HEAD}. Other methods get {@code 405}, bad paths {@code 400}, anything not servable {@code 404}.
 *
 * <pre>{@code
 * MappedFileHandler files = MappedFileHandler.of(Path.of("/srv/files"));
 *
 * // functional router: the path below the pattern names the file
 * RouterFunction<ServerResponse> routes = RouterFunctions.route(RequestPredicates.path("/files/**"), files);
 *
 * // annotated controller
 * @GetMapping("/files/**")
 * Mono<Void> file(ServerWebExchange exchange) { return files.serve(exchange); }
 * }</pre>
 *
 * <h2>Differences from Spring's resource handling</h2>
 * Spring's {@code ResourceHttpMessageWriter} copies file regions for multiple ranges and ignores {@code If-Range};
 * here every range, single or multiple, goes out as mapped windows (zero-copy on Reactor Netty: the multipart framing
 * is small buffers between the window buffers), but for bodies of at most {@link BodyMode#COPIED_AT_MOST} bytes
 * of file, which are copied from the checked descriptor, as in the file server; and {@code If-Range} is honoured (a strong {@code ETag} or an exact
 * {@code Last-Modified} date). The status, headers and body are decided once, by {@link ResponsePlan}, and written
 * with {@link ServerHttpResponse#writeWith} with the headers set explicitly: neither Spring's resource-region
 * machinery nor {@code checkNotModified} looks at the request's {@code Range} or conditional headers again.
 * Range abuse is bounded by {@link RangeLimits} (by default at most 16 parts after coalescing; more is served as a
 * plain {@code 200}).
 *
 * <h2>Ownership</h2>
 * Each window is released by the server after its buffer is written; a client that disconnects mid-download cancels
 * the body, which closes every window mapped for it (see {@link MappedDataBuffers}). The file is opened and checked
 * when the request is planned ({@link FileExchange}), and the body is read from that same descriptor, never from the
 * path again: a file replaced or shrunk in between is served as the file that was checked, or ends the connection
 * early (never padding). The descriptor is closed when the body ends (complete, error or cancel); a response from
 * {@link #handle} that a filter drops instead of writing closes it when the response that replaces it is committed.
 *
 * <h2>Access log</h2>
 * Every response this handler writes gives one {@link AccessLogRecord} to its {@link AccessLog}
 * ({@link AccessLog#SYSTEM_LOGGER}, the Netty file server's {@code io.reactivemmap.netty.http.access} logger, unless
 * {@link #of(RootDirectory, MapOptions, RangeLimits, AccessLog)} was given another) when the write ends: complete when
 * the response's write completed ({@link ServerHttpResponse#writeWith} or {@code setComplete}), with the planned
 * length as the bytes sent; aborted when the write was cancelled or the connection closed under it; failed when the
 * body failed (a truncated file). The bytes sent are the planned length on completion and unknown ({@code -1})
 * otherwise: WebFlux does not say how much of a body went out. On a server that completes the write before the body
 * is consumed (WebTestClient does), "complete" means the server took the whole response, not that the client got
 * it. A response from {@link #handle} that a filter drops is not logged (it was never written). The protocol is
 * known on Reactor Netty only ({@code "-"} elsewhere), as is the version check of the request line. The record's target
 * is the path the handler served ({@code /a/b.txt} for {@code /files/a/b.txt} under {@code /files/**}), not the
 * whole request target.
 */
public final class MappedFileHandler implements HandlerFunction<ServerResponse> {
    /**
     * The request headers the exchange decides by: ranges, conditionals, and Accept-Encoding (precompressed siblings);
     * and those its access log names (Referer, User-Agent).
     */
    private static final List<String> CONDITIONAL_HEADERS = List.of("Range", "If-Range", "If-Match", "If-None-Match",
            "If-Modified-Since", "If-Unmodified-Since", "Accept-Encoding", "Referer", "User-Agent");
    /** Headers whose values are comma-separated lists (RFC 9110 §5.3): several field lines are one list. */
    private static final List<String> LIST_HEADERS = List.of("If-Match", "If-None-Match", "Accept-Encoding");

    private final FileExchange exchange;
    private final MapOptions mapOptions;

    private MappedFileHandler(RootDirectory root, MapOptions mapOptions, RangeLimits rangeLimits, AccessLog accessLog,
                              CacheRules cacheRules) {
        this(FileExchange.of(root, rangeLimits, List.of(), accessLog, cacheRules), mapOptions);
    }

    private MappedFileHandler(FileExchange exchange, MapOptions mapOptions) {
        this.exchange = exchange;
        this.mapOptions = mapOptions;
    }

    /**
     * This handler, serving precompressed siblings when {@code on} (off by default), as nginx's {@code gzip_static}
     * and {@code brotli_static}: {@code name.br} or {@code name.gz} beside {@code name}, checked like any served file,
     * goes to a client whose {@code Accept-Encoding} takes it, as mapped windows like any file, with
     * {@code Content-Encoding}, the type of {@code name} and validators of its own; a file with a sibling answers with
     * {@code Vary: Accept-Encoding}. See {@link FileExchange#withPrecompressed(boolean)}.
     *
     * @return a new handler with the same root and options but for that
     */
    public MappedFileHandler withPrecompressed(boolean on) {
        return new MappedFileHandler(exchange.withPrecompressed(on), mapOptions);
    }

    /**
     * This handler, answering a directory without {@code index.html} with an HTML listing when {@code on} (off by
     * default: a {@code 404}), as nginx's {@code autoindex}: only what a request would be given (no hidden names
     * unless served, no link the policy refuses), directories first, names escaped and their links percent-encoded,
     * {@code /dir} redirected to {@code ./dir/}. See {@link FileExchange#withDirectoryListings(boolean)}. The route's
     * own path without its slash ({@code /files} under {@code /files/**}) cannot be told from {@code /files/} here, so
     * it is listed without a redirect and its links resolve one level up: link to the route's root with the slash. A
     * listing's title names the path below the pattern ({@code Index of /a/} for {@code /files/a/}).
     *
     * @return a new handler with the same root and options but for that
     */
    public MappedFileHandler withDirectoryListings(boolean on) {
        return new MappedFileHandler(exchange.withDirectoryListings(on), mapOptions);
    }

    /**
     * Serves {@code root} with default map options and range limits, no hidden files and no symbolic links out of the
     * root.
     *
     * @throws java.nio.file.NotDirectoryException if {@code root} is not a directory
     */
    public static MappedFileHandler of(Path root) throws IOException {
        return of(RootDirectory.of(root, false, false), MapOptions.defaults(), RangeLimits.DEFAULT);
    }

    /** Serves {@code root} (see {@link RootDirectory#of} for symbolic links and hidden files) with these options. */
    public static MappedFileHandler of(RootDirectory root, MapOptions mapOptions, RangeLimits rangeLimits) {
        return of(root, mapOptions, rangeLimits, AccessLog.SYSTEM_LOGGER);
    }

    /**
     * Serves {@code root} with these options, and gives each written response's record to {@code accessLog}
     * ({@link AccessLog#NONE} for none).
     */
    public static MappedFileHandler of(RootDirectory root, MapOptions mapOptions, RangeLimits rangeLimits,
                                       AccessLog accessLog) {
        return of(root, mapOptions, rangeLimits, accessLog, CacheRules.NONE);
    }

    /**
     * Serves {@code root} with these options, gives each written response's record to {@code accessLog}
     * ({@link AccessLog#NONE} for none), and gives file responses the {@code Cache-Control} (and {@code Expires}) that
     * {@code cacheRules} choose ({@link CacheRules#NONE} for none).
     */
    public static MappedFileHandler of(RootDirectory root, MapOptions mapOptions, RangeLimits rangeLimits,
                                       AccessLog accessLog, CacheRules cacheRules) {
        return new MappedFileHandler(Objects.requireNonNull(root, "root"), Objects.requireNonNull(mapOptions, "mapOptions"),
                Objects.requireNonNull(rangeLimits, "rangeLimits"), Objects.requireNonNull(accessLog, "accessLog"),
                Objects.requireNonNull(cacheRules, "cacheRules"));
    }

    /** The directory served. */
    public RootDirectory root() {
        return exchange.root();
    }

    /**
     * For functional routes: answers with a {@link ServerResponse} that writes the planned response. The file is named
     * by the part of the request path below the route's pattern ({@code /files/**} and {@code /files/a/b.txt} serve
     * {@code a/b.txt}), or by the whole path when the route has no pattern. Route both {@code GET} and {@code HEAD}
     * here (for example with {@code RequestPredicates.path(...)}); other methods get {@code 405}.
     *
     * <p>The status and headers are decided when this method is called (a filter may still add headers); the body is
     * mapped only when the response is written.
     */
    @Override
    public Mono<ServerResponse> handle(ServerRequest request) {
        Objects.requireNonNull(request, "request");
        return Mono.fromSupplier(() -> {
            Object pattern = request.attribute(RouterFunctions.MATCHING_PATTERN_ATTRIBUTE).orElse(null);
            PathContainer path = request.requestPath().pathWithinApplication();
            String target = pathBelow(pattern instanceof PathPattern p ? p : null, path);
            Prepared prepared = prepare(request.exchange().getRequest(), target);
            // A filter may drop this response and write another: the descriptor is then closed when that one is
            // committed, unless writeTo took it over. A filter may also hold the response while the client leaves, so
            // that nothing is ever committed: on Reactor Netty the request's end (its operations disposed, whether
            // answered or abandoned) closes it then. Elsewhere such a response's descriptor waits for the channel's
            // cleaner (garbage collection): a servlet server gives a handler no signal for it.
            request.exchange().getResponse().beforeCommit(() -> {
                prepared.closeUnlessWritten();
                return Mono.empty();
            });
            if (nativeRequest(request.exchange().getRequest()) instanceof Connection connection) {
                connection.onDispose(prepared::closeUnlessWritten);
            }
            return new MappedFileResponse(prepared, this);
        });
    }

    /**
     * For annotated controllers and plain {@code WebHandler}s: writes the response for this exchange. The file is named
     * by the path below the matched {@code @RequestMapping} pattern ({@code @GetMapping("/files/**")}), else by the
     * whole path within the application. Return the result from the controller method ({@code Mono<Void>} with a
     * {@link ServerWebExchange} argument tells WebFlux the response is handled).
     */
    public Mono<Void> serve(ServerWebExchange exchange) {
        Objects.requireNonNull(exchange, "exchange");
        return Mono.defer(() -> {
            PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
            Object within = exchange.getAttribute(HandlerMapping.PATH_WITHIN_HANDLER_MAPPING_ATTRIBUTE);
            String target;
            if (within instanceof PathContainer w) {
                target = withTrailingSlashOf(path, "/" + w.value());
            } else {
                Object pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
                target = pathBelow(pattern instanceof PathPattern p ? p : null, path);
            }
            return serve(exchange, target);
        });
    }

    /**
     * Writes the response for the file named by {@code requestPath}, a path relative to the root in request-target
     * form: percent-encoded as it arrived (it is decoded exactly once, here), with {@code /} separators, e.g.
     * {@code "/docs/a%20b.txt"}.
     */
    public Mono<Void> serve(ServerWebExchange exchange, String requestPath) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(requestPath, "requestPath");
        return Mono.using(() -> prepare(exchange.getRequest(), requestPath), prepared -> {
            ServerHttpResponse response = exchange.getResponse();
            response.setStatusCode(prepared.status());
            response.getHeaders().putAll(prepared.headers());
            return write(prepared, response);
            // Not closed when the write completes: a server may complete it before the body is consumed (WebTestClient
            // does); the body closes the file when it ends.
        }, Prepared::closeUnlessWritten);
    }

    /** The server's own request object (Reactor Netty's {@code HttpServerOperations}), or null for a mock one. */
    private static @Nullable Object nativeRequest(ServerHttpRequest request) {
        try {
            return ServerHttpRequestDecorator.getNativeRequest(request);
        } catch (IllegalArgumentException | IllegalStateException noNativeRequest) {
            return null; // a mock or custom request (WebTestClient's, a test's): no request line to check
        }
    }

    /**
     * The request line's version as {@code {major, minor}}, {@code {-1, -1}} for an HTTP/2 stream (no request line, no
     * {@code Host}: its codec checks the pseudo-headers). Under Reactor Netty the request line's version is known; on
     * other servers, whose own parser decides which versions reach the application, {@code {1, 0}}: only the
     * {@code Host} rules that do not need the version apply (at most one, well-formed).
     */
    private static Version version(ServerHttpRequest request) {
        Object nativeRequest = nativeRequest(request);
        if (nativeRequest instanceof HttpServerRequest r && nativeRequest instanceof Connection c) {
            Channel parent = c.channel().parent();
            if (parent != null && !(parent instanceof ServerChannel)) {
                return new Version(-1, -1, "HTTP/2");
            }
            return new Version(r.version().majorVersion(), r.version().minorVersion(), r.version().text());
        }
        return new Version(1, 0, "-");
    }

    /** A request line's version ({@code -1, -1} for an HTTP/2 stream) and the protocol for the access log. */
    private record Version(int major, int minor, String protocol) {
    }

    /**
     * The status and headers for a request, decided without touching the network, and the exchange's answer, which
     * owns the opened, checked file its body is read from.
     *
     * <h2>Ownership</h2>
     * Owns {@code answer} until {@link #claimForWriting()} hands it to the body that is written (which closes it when
     * it ends); {@link #closeUnlessWritten()} and {@link #close()} close it otherwise.
     */
    static final class Prepared implements AutoCloseable {
        private final HttpStatusCode status;
        private final HttpHeaders headers;
        private final FileExchange.FileResponse answer;
        private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();

        Prepared(HttpStatusCode status, HttpHeaders headers, FileExchange.FileResponse answer) {
            this.status = status;
            this.headers = headers;
            this.answer = answer;
        }

        HttpStatusCode status() {
            return status;
        }

        HttpHeaders headers() {
            return headers;
        }

        List<BodyPart> body() {
            return answer.body();
        }

        /** Takes the answer over for writing; false if it was claimed or closed already. */
        boolean claimForWriting() {
            return claimed.compareAndSet(false, true);
        }

        /** Closes the file unless a body writing it took it over. */
        void closeUnlessWritten() {
            if (claimForWriting()) {
                answer.close();
            }
        }

        @Override
        public void close() {
            answer.close();
        }
    }

    Prepared prepare(ServerHttpRequest request, String requestPath) {
        long start = System.nanoTime();
        Version version = version(request);
        HttpHeaders spring = request.getHeaders();
        String query = request.getURI().getRawQuery();
        // The query goes along (the exchange names the file by the path only): a directory's redirect to its slash
        // keeps it.
        String target = query != null && requestPath.indexOf('?') < 0 ? requestPath + "?" + query : requestPath;
        FileExchange.Request asked = new FileExchange.Request(request.getMethod().name(), target, version.major(),
                version.minor(), spring.getOrEmpty(HttpHeaders.HOST), nettyHeaders(spring), false,
                request.getRemoteAddress(), version.protocol(), start);
        FileExchange.FileResponse answer = exchange.answer(asked);
        answer.logAs(request.getURI().getRawPath() + (query != null ? "?" + query : ""));
        HttpHeaders headers = new HttpHeaders();
        for (Map.Entry<String, String> h : answer.headers()) {
            headers.add(h.getKey(), h.getValue());
        }
        if (!headers.containsHeader(HttpHeaders.DATE)) { // the exchange dates a response with Expires
            headers.set(HttpHeaders.DATE, HttpDates.now());
        }
        if (answer.closeConnection()) {
            headers.set(HttpHeaders.CONNECTION, "close");
        }
        return new Prepared(HttpStatusCode.valueOf(answer.status().code()), headers, answer);
    }

    /**
     * Writes the body of {@code prepared}; status and headers must already be on {@code response}. The body is read
     * from the descriptor that was checked, which is closed when the body ends (complete, error or cancel).
     */
    Mono<Void> write(Prepared prepared, ServerHttpResponse response) {
        if (!prepared.claimForWriting()) {
            return Mono.error(new IllegalStateException("this response was written or dropped already"));
        }
        FileExchange.FileResponse answer = prepared.answer;
        Channel channel = channel(response);
        return answer.loggedWhenDone(writeClaimed(prepared, response, channel), channel);
    }

    /** The Reactor Netty channel under {@code response}, or null on another server (or a mock). */
    private static @Nullable Channel channel(ServerHttpResponse response) {
        Channel[] holder = new Channel[1];
        if (reactorNettyResponse(response) instanceof reactor.netty.http.server.HttpServerResponse r) {
            r.withConnection(c -> holder[0] = c.channel()); // runs at once, here
        }
        return holder[0];
    }

    /** Reactor Netty's own response under {@code response}, or null on another server (or a mock). */
    private static @Nullable Object reactorNettyResponse(ServerHttpResponse response) {
        if (!REACTOR_NETTY) {
            return null;
        }
        try {
            return org.springframework.http.server.reactive.ServerHttpResponseDecorator.getNativeResponse(response);
        } catch (IllegalArgumentException | IllegalStateException noNativeResponse) {
            return null;
        }
    }

    private Mono<Void> writeClaimed(Prepared prepared, ServerHttpResponse response, @Nullable Channel netty) {
        RootDirectory.Opened file = prepared.answer.file();
        if (prepared.body().isEmpty() || file == null) {
            prepared.close();
            return prepared.body().isEmpty() ? response.setComplete()
                    : response.writeWith(body(prepared.body(), null, response.bufferFactory()));
        }
        FileChannel channel;
        try {
            channel = file.channel();
        } catch (IOException e) {
            prepared.close();
            return Mono.error(e);
        }
        long fileBytes = prepared.body().stream().mapToLong(p -> p instanceof BodyPart.FileRange r ? r.length() : 0).sum();
        // Small bodies are copied (positional reads of the checked descriptor), by the file server's rule: mapping,
        // faulting and unmapping a window costs more (a 64 KiB file per request ran at 0.14x Spring's own resource
        // handler when mapped).
        boolean small = fileBytes <= BodyMode.COPIED_AT_MOST;
        boolean copy = small || !guardTls(netty);
        Flux<DataBuffer> body = copy ? copiedBody(prepared.body(), file, response.bufferFactory())
                : body(prepared.body(), new Source(channel, file.path()), response.bufferFactory());
        if (!copy && netty != null && TlsWindowGuard.tlsPipeline(netty) != null) {
            Channel tlsChannel = netty;
            body = body.concatMap(window -> WritabilityGate.held(tlsChannel, window), 0)
                    .doOnDiscard(DataBuffer.class, MappedDataBuffers::release);
        }
        return response.writeWith(body.doFinally(signal -> prepared.close()));
    }

    /** The checked file a body's ranges are read from. */
    private record Source(FileChannel channel, Path path) {
    }

    /**
     * On Reactor Netty under TLS: with the JDK engine, installs the {@link TlsWindowGuard} on the connection (a file
     * truncated under a window must neither fault inside the engine nor send the zeros of a page's tail) and returns
     * {@code true}; with a native engine (OpenSSL), which must never read mapped memory, returns {@code false}. Any
     * other server or plain HTTP: {@code true}.
     */
    private static boolean guardTls(@Nullable Channel channel) {
        return channel == null || TlsWindowGuard.guardForWindows(channel); // none: a mock or another server, no engine of ours
    }

    private static final boolean REACTOR_NETTY = isPresent("reactor.netty.http.server.HttpServerResponse");

    private static boolean isPresent(String className) {
        try {
            Class.forName(className, false, MappedFileHandler.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The body read with copies (positional reads of the checked descriptor), for a TLS engine that must not be given
     * mapped memory.
     */
    private static Flux<DataBuffer> copiedBody(List<BodyPart> parts, RootDirectory.Opened file, DataBufferFactory factory) {
        return Flux.fromIterable(parts)
                .concatMap(part -> switch (part) {
                    case BodyPart.Bytes b -> Mono.fromSupplier(() -> factory.wrap(b.bytes()));
                    case BodyPart.FileRange r -> file.copies(r.offset(), r.length(), 64 * 1024).map(factory::wrap);
                }, 0)
                .doOnDiscard(DataBuffer.class, org.springframework.core.io.buffer.DataBufferUtils::release);
    }

    /**
     * The body as data buffers: literal parts (multipart framing, error text) as small wrapped arrays, file ranges as
     * mapped windows; one part at a time, so only the current range has windows mapped.
     */
    private Flux<DataBuffer> body(List<BodyPart> parts, @Nullable Source file, DataBufferFactory factory) {
        Flux<DataBuffer> body = Flux.fromIterable(parts)
                .concatMap(part -> switch (part) {
                    case BodyPart.Bytes b -> Mono.fromSupplier(() -> factory.wrap(b.bytes()));
                    case BodyPart.FileRange r -> {
                        Source f = Objects.requireNonNull(file, "file");
                        yield Flux.defer(() -> MappedDataBuffers.dataBuffers(MappedFile.windows(f.channel(), f.path(),
                                r.offset(), r.length(), mapOptions), factory));
                    }
                }, 0)
                .doOnDiscard(DataBuffer.class, MappedDataBuffers::release);
        boolean mapsFile = parts.stream().anyMatch(p -> p instanceof BodyPart.FileRange);
        return mapsFile ? MappedDataBuffers.responseBody(body, factory) : body;
    }

    /**
     * The request headers that the plan reads, as Netty headers (what {@link ResponsePlan} takes). List-valued
     * conditionals sent as several field lines are joined into one list, as RFC 9110 §5.3 allows a recipient to do.
     */
    private static io.netty.handler.codec.http.HttpHeaders nettyHeaders(HttpHeaders spring) {
        // No validation: the values are only parsed, never written, and a mock request may carry anything.
        io.netty.handler.codec.http.HttpHeaders netty = DefaultHttpHeadersFactory.headersFactory().withValidation(false)
                .newHeaders();
        for (String name : CONDITIONAL_HEADERS) {
            List<String> values = spring.get(name);
            if (values == null || values.isEmpty()) {
                continue;
            }
            netty.set(name, LIST_HEADERS.contains(name) ? String.join(", ", values) : values.get(0));
        }
        return netty;
    }

    /** The raw path below {@code pattern} (or all of {@code path}), as a request target starting with {@code /}. */
    private static String pathBelow(@Nullable PathPattern pattern, PathContainer path) {
        if (pattern == null) {
            return path.value().isEmpty() ? "/" : path.value();
        }
        return withTrailingSlashOf(path, "/" + pattern.extractPathWithinPattern(path).value());
    }

    /**
     * Spring's extraction drops a trailing separator; keep it, so that {@code /files/a.txt/} is a 404 here as it is in
     * the Netty server (a file name followed by a slash names a directory).
     */
    private static String withTrailingSlashOf(PathContainer path, String target) {
        return path.value().endsWith("/") && !target.endsWith("/") ? target + "/" : target;
    }
}
