package io.reactivemmap.samples;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.ReactorNettyWindows;
import io.reactivemmap.netty.http.RequestPath;
import io.reactivemmap.netty.http.RootDirectory;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A Reactor Netty {@code HttpServer} route that sends files from a root directory as mapped windows with
 * {@link ReactorNettyWindows#send}: zero-copy to the socket, and never more than {@code maxLiveBytes} mapped per
 * connection although Reactor Netty's {@code send} prefetches 128 items. Whole files only (GET and HEAD); the
 * {@code FileServerMain} sample is the full HTTP server with ranges and conditional requests.
 *
 * <pre>usage: ReactorNettyServeMain [--root DIR] [--port N]</pre>
 */
public final class ReactorNettyServeMain {
    private ReactorNettyServeMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        int port = 8080;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("usage: ReactorNettyServeMain [--root DIR] [--port N]");
                    System.exit(2);
                }
            }
        }
        RootDirectory files = RootDirectory.of(root, false, false);
        // 1 MiB windows, at most 4 MiB mapped per connection whatever Reactor Netty requests.
        MapOptions options = MapOptions.defaults().withWindowSize(1 << 20).withMaxLiveBytes(4L << 20).withPopulateAhead(false);
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(port)
                .handle((request, response) -> serve(files, options, request, response))
                .bindNow();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.disposeNow();
            stopped.countDown();
        }));
        System.out.println("Serving " + files.path() + " at http://127.0.0.1:" + server.port() + "/  (Ctrl-C to stop)");
        stopped.await();
    }

    static Publisher<Void> serve(RootDirectory files, MapOptions options, HttpServerRequest request,
                                 HttpServerResponse response) {
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return response.status(HttpResponseStatus.METHOD_NOT_ALLOWED).header(HttpHeaderNames.ALLOW, "GET, HEAD").send();
        }
        RequestPath path;
        try {
            path = RequestPath.parse(request.uri()); // decoded once; traversal, encoded separators, NUL rejected
        } catch (RequestPath.InvalidPathException e) {
            return response.status(HttpResponseStatus.BAD_REQUEST).send();
        }
        // Looking the file up touches the file system: off the event loop.
        return Mono.fromCallable(() -> java.util.Optional.ofNullable(files.find(path)))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(found -> {
                    if (found.isEmpty() || found.get().attributes().isDirectory()) {
                        return response.sendNotFound().then();
                    }
                    long size = found.get().attributes().size();
                    // Headers first: they cannot change once the body has started.
                    response.header(HttpHeaderNames.CONTENT_LENGTH, Long.toString(size))
                            .header(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                    if (method.equals(HttpMethod.HEAD)) {
                        return response.send().then();
                    }
                    // Each window becomes a ByteBuf whose release, after Netty has written it, unmaps the window.
                    return ReactorNettyWindows.send(response, found.get().realPath(), 0, size, options).then();
                });
    }
}
