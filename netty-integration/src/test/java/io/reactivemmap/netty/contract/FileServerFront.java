package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.FileServer;
import io.reactivemmap.netty.http.FileServerOptions;

import java.nio.file.Path;

/** The contract against {@link FileServer}: one subclass per body mode over HTTP/1.1, and h2c. */
abstract class FileServerFront extends FileExchangeContract {
    /** The body mode the server is started with. */
    abstract BodyMode mode();

    /** Whether the sessions speak h2c (prior knowledge) rather than HTTP/1.1; the server serves both on one port. */
    boolean h2c() {
        return false;
    }

    @Override
    protected boolean http1() {
        return !h2c();
    }

    @Override
    protected boolean seesAsterisk() {
        return true;
    }

    @Override
    protected Front start(Path root, Config config) throws Exception {
        FileServer server = FileServer.start(FileServerOptions.defaults(root).withPort(0).withIoThreads(2)
                .withWindowSize(WINDOW).withMaxBytesInFlight(IN_FLIGHT).withBodyMode(mode())
                .withServeHidden(config.serveHidden()));
        return new Front() {
            @Override
            public Session session() throws Exception {
                return h2c() ? Sessions.h2c(server.port()) : Sessions.http1(server.port());
            }

            @Override
            public int port() {
                return server.port();
            }

            @Override
            public void close() throws InterruptedException {
                server.close();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (server.openConnections() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
        };
    }
}
