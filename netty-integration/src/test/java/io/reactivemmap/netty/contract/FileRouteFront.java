package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.reactor.FileRoute;
import io.reactivemmap.netty.reactor.FileRouteOptions;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The contract against {@link FileRoute} mounted under {@code /files} as a user mounts it ({@link FileRoute#mount}) on
 * a Reactor Netty {@code HttpServer}: one subclass per body mode, and h2c.
 */
abstract class FileRouteFront extends FileExchangeContract {
    /** The body mode the route is made with. */
    abstract BodyMode mode();

    @Override
    protected String prefix() {
        return "/files";
    }

    @Override
    protected boolean onReactorNetty() {
        return true;
    }

    @Override
    protected Front start(Path root, Config config) throws Exception {
        FileRoute files = FileRoute.of(FileRouteOptions.defaults(root).withPrefix(prefix()).withBodyMode(mode())
                .withWindowSize(WINDOW).withMaxBytesInFlight(IN_FLIGHT).withServeHidden(config.serveHidden())
                .withCacheRules(config.cacheRules()).withPrecompressed(config.precompressed())
                .withDirectoryListings(config.directoryListings()), config.accessLog());
        HttpServer http = HttpServer.create().host("127.0.0.1").port(0).route(files::mount);
        DisposableServer server = (h2c() ? http.protocol(HttpProtocol.H2C) : http).bindNow(Duration.ofSeconds(10));
        return onSocket(server.port(), () -> server.disposeNow(Duration.ofSeconds(10)));
    }
}
