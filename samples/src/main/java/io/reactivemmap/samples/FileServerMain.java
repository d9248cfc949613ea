package io.reactivemmap.samples;

import io.reactivemmap.netty.http.FileServer;
import io.reactivemmap.netty.http.FileServerOptions;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;

/**
 * Serves a directory over HTTP until Ctrl-C (or SIGTERM).
 *
 * <pre>
 * FileServerMain [--root DIR] [--host ADDR] [--port N] [--tls] [--body-mode auto|sendfile|mapped] [--window-size SIZE] ...
 * </pre>
 * {@code --help} lists every option with its default; each can also be set by an environment variable
 * ({@code REACTIVE_MMAP_PORT} for {@code --port}, see {@link FileServerCli}). Defaults: the current directory on
 * 127.0.0.1:8080, plain HTTP, HTTP/2 on (h2 by ALPN with {@code --tls}, h2c with prior knowledge without). Try
 * {@code curl -r 0-99 http://127.0.0.1:8080/FILE} or {@code curl --http2-prior-knowledge http://127.0.0.1:8080/FILE}.
 * Bad usage exits with 2, a server that cannot start (port in use) with 1, each after one line on stderr.
 */
public final class FileServerMain {
    private FileServerMain() {
    }

    public static void main(String[] args) throws Exception {
        FileServerCli.Outcome outcome = FileServerCli.parse(args, System.getenv());
        if (outcome instanceof FileServerCli.Exit exit) { // --help, --version, or one line saying what is wrong
            System.exit(exit.print(System.out, System.err));
            return;
        }
        FileServerOptions options = ((FileServerCli.Serve) outcome).options();
        FileServer server;
        try {
            server = FileServer.start(options);
        } catch (IOException e) {
            // one line naming the address: no stack trace
            System.exit(FileServerCli.cannotStart(e).print(System.out, System.err));
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping...");
            server.close(); // closes the listening socket, every connection (releasing their windows) and the event loops
            stopped.countDown();
        }, "file-server-shutdown"));
        String scheme = options.tls() != null ? "https" : "http";
        System.out.println("Serving " + options.root().toRealPath() + " at " + scheme + "://" + options.host() + ":"
                + server.port() + "/  (" + server.transport() + "; Ctrl-C to stop)");
        if (server.adminPort() != FileServerOptions.ADMIN_OFF) {
            System.out.println("Admin (/health, /metrics, /_stats) at http://" + options.adminHost() + ":" + server.adminPort() + "/");
        }
        stopped.await();
    }
}
