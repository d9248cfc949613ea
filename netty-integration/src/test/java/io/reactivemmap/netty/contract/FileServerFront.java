package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.FileServer;
import io.reactivemmap.netty.http.FileServerOptions;

import java.nio.file.Path;

/** The contract against {@link FileServer}: one subclass per body mode over HTTP/1.1, and h2c. */
abstract class FileServerFront extends FileExchangeContract {
    /** The body mode the server is started with. */
    abstract BodyMode mode();

    @Override
    protected boolean seesAsterisk() {
        return true;
    }

    @Override
    protected boolean countsSentBytes() {
        return true; // from the socket: ConnectionGuard over HTTP/1.1, Http2DataFrameCheck per stream over h2c
    }

    @Override
    protected Front start(Path root, Config config) throws Exception {
        FileServer server = FileServer.start(FileServerOptions.builder(root).port(0).ioThreads(2).windowSize(WINDOW)
                .maxBytesInFlight(IN_FLIGHT).bodyMode(mode()).serveHidden(config.serveHidden()).cacheRules(config.cacheRules())
                .precompressed(config.precompressed())
                .directoryListings(config.directoryListings()).build(), config.accessLog());
        return onSocket(server.port(), () -> {
            server.close();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.openConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        });
    }
}
