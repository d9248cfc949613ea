package io.reactivemmap.samples;

import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.FileServer;
import io.reactivemmap.netty.http.FileServerOptions;
import io.reactivemmap.netty.http.TlsOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * Serves a directory over HTTP until Ctrl-C.
 *
 * <pre>
 * FileServerMain [--root DIR] [--host ADDR] [--port N] [--tls] [--window-size BYTES[k|m]] [--body-mode auto|sendfile|mapped] [--stats] [--no-http2]
 * </pre>
 * Defaults: the current directory on 127.0.0.1:8080, plain HTTP, HTTP/2 on (h2 by ALPN with {@code --tls}, h2c with
 * prior knowledge without). Try {@code curl -r 0-99 http://127.0.0.1:8080/FILE} or
 * {@code curl --http2-prior-knowledge http://127.0.0.1:8080/FILE}.
 */
public final class FileServerMain {
    private FileServerMain() {
    }

    public static void main(String[] args) throws Exception {
        FileServerOptions options = FileServerOptions.defaults(Path.of("").toAbsolutePath());
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--root" -> options = options.toBuilder().root(Path.of(value(args, ++i, a))).build();
                case "--host" -> options = options.withHost(value(args, ++i, a));
                case "--port" -> options = options.withPort(Integer.parseInt(value(args, ++i, a)));
                case "--tls" -> options = options.withTls(TlsOptions.selfSigned());
                case "--window-size" -> options = options.withWindowSize((int) bytes(value(args, ++i, a)));
                case "--body-mode" -> options = options.withBodyMode(BodyMode.valueOf(value(args, ++i, a).toUpperCase(Locale.ROOT)));
                case "--stats" -> options = options.withStatsEndpoint(true);
                case "--no-http2" -> options = options.withHttp2(false);
                case "-h", "--help" -> {
                    System.out.println("usage: FileServerMain [--root DIR] [--host ADDR] [--port N] [--tls] "
                            + "[--window-size BYTES[k|m]] [--body-mode auto|sendfile|mapped] [--stats] [--no-http2]");
                    return;
                }
                default -> {
                    System.err.println("unknown option " + a + " (try --help)");
                    System.exit(2);
                }
            }
        }
        FileServer server;
        try {
            server = FileServer.start(options);
        } catch (IOException e) {
            System.err.println("FileServerMain: " + e.getMessage()); // one line naming the address: no stack trace
            System.exit(1);
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
        stopped.await();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println(option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    private static long bytes(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        long unit = v.endsWith("m") ? 1 << 20 : v.endsWith("k") ? 1 << 10 : 1;
        return Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1)) * unit;
    }
}
