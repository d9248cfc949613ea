package io.reactivemmap.samples;

import io.reactivemmap.netty.reactor.FileRoute;
import io.reactivemmap.netty.reactor.FileRouteOptions;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A Reactor Netty {@code HttpServer} serving the files under a root directory with the library's {@link FileRoute}:
 * GET and HEAD, ranges (single and multipart), conditional requests, safe paths, {@code index.html} for directories.
 * Bodies go out by {@code sendfile} on plain connections and as mapped windows under TLS, never more than the
 * configured bytes mapped per response although Reactor Netty's {@code send} prefetches 128 items.
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
        // 1 MiB windows, at most 4 MiB mapped per response whatever Reactor Netty requests.
        FileRoute files = FileRoute.of(FileRouteOptions.defaults(root).withWindowSize(1 << 20).withMaxBytesInFlight(4L << 20));
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(port)
                .route(files::mount) // every method under the prefix: 405 for all but GET and HEAD
                .bindNow();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.disposeNow();
            stopped.countDown();
        }));
        System.out.println("Serving " + files.root().path() + " at http://127.0.0.1:" + server.port() + "/  (Ctrl-C to stop)");
        stopped.await();
    }
}
