package io.reactivemmap.samples;

import io.reactivemmap.netty.http.AccessLog;
import io.reactivemmap.netty.http.AccessLogWriter;
import io.reactivemmap.netty.http.FileServer;
import io.reactivemmap.netty.http.FileServerOptions;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Serves a directory over HTTP until Ctrl-C (or SIGTERM). The first signal drains the server
 * ({@link FileServer#drain}: new connections are refused, responses in flight finish, for at most
 * {@code --drain-timeout}, 30 s by default) and the process exits 0 when that is done; a second signal closes at once
 * (exit status 130 after Ctrl-C, 143 after SIGTERM).
 *
 * <pre>
 * FileServerMain [--root DIR] [--host ADDR] [--port N] [--tls | --tls-cert CHAIN.pem --tls-key KEY.pem]
 *                [--body-mode auto|sendfile|mapped] [--window-size SIZE] ...
 * </pre>
 * {@code --help} lists every option with its default; each can also be set by an environment variable
 * ({@code REACTIVE_MMAP_PORT} for {@code --port}, see {@link FileServerCli}). Defaults: the current directory on
 * 127.0.0.1:8080, plain HTTP, HTTP/2 on (h2 by ALPN with {@code --tls}, h2c with prior knowledge without). Try
 * {@code curl -r 0-99 http://127.0.0.1:8080/FILE} or {@code curl --http2-prior-knowledge http://127.0.0.1:8080/FILE}.
 * {@code --tls} serves HTTPS with a self-signed development certificate; {@code --tls-cert} and {@code --tls-key} with
 * your PEM certificate chain and key (see {@link io.reactivemmap.netty.http.TlsOptions} for the forms accepted).
 * Bad usage exits with 2, a server that cannot start (port in use, a TLS file missing or wrong) with 1, each after one
 * line on stderr.
 *
 * <p>The access log goes where {@code --access-log} says, standard output by default
 * ({@link FileServerCli.AccessLogTarget}); a file is reopened on {@code SIGUSR1} (for {@code logrotate}). Everything
 * else the server logs (warnings, errors) goes through {@code java.util.logging} to standard error, one line per
 * record ({@link FileServerCli#LOG_FORMAT}) unless you give a logging configuration of your own
 * ({@code -Djava.util.logging.config.file=...}, {@code ...config.class} or {@code ...SimpleFormatter.format}).
 */
public final class FileServerMain {
    /** Put on the queue of {@link #main}'s events when the drain has ended. */
    private static final Object DRAINED = new Object();

    private FileServerMain() {
    }

    /** Parses {@code args}, starts the server and serves until a signal, as the class comment says. */
    public static void main(String[] args) throws Exception {
        FileServerCli.Outcome outcome = FileServerCli.parse(args, System.getenv());
        if (outcome instanceof FileServerCli.Exit exit) { // --help, --version, or one line saying what is wrong
            System.exit(exit.print(System.out, System.err));
            return;
        }
        FileServerCli.oneLineLogs(System.getProperties()); // before anything logs: the formatter reads it when made
        FileServerCli.Serve serve = (FileServerCli.Serve) outcome;
        FileServerOptions options = serve.options();
        Duration drainTimeout = serve.drainTimeout();
        AccessLog accessLog;
        FileServer server;
        try {
            accessLog = serve.accessLog().open();
            server = FileServer.start(options, accessLog);
        } catch (IOException e) {
            // one line naming the address or the access log's file: no stack trace
            System.exit(FileServerCli.cannotStart(e).print(System.out, System.err));
            return;
        }
        // Any other way out (System.exit from ExitWithParent when Maven is gone, a fatal error) still closes the server,
        // then the access log (which writes the lines still queued).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (accessLog instanceof AccessLogWriter writer) {
                writer.close();
            }
        }, "file-server-shutdown"));
        // Why sun.misc.Signal (jdk.unsupported, a supported-in-practice API, not the Unsafe cleaner) and not a shutdown
        // hook alone: the JVM's own SIGTERM/SIGINT handler starts the shutdown with status 143/130 whatever the hooks
        // do, and a second signal during the hooks cannot cut a drain short (the JVM's exit blocks until the hooks are
        // done). A handler of our own replaces the JVM's: the first signal starts the drain, the process exits 0 when
        // it ends, and a second signal closes at once. The handler only queues the signal; main does the work, off the
        // JVM's signal thread and off the event loops (close() must not run on an event loop).
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        SignalHandler queue = events::add;
        Signal.handle(new Signal("TERM"), queue);
        Signal.handle(new Signal("INT"), queue);
        if (accessLog instanceof AccessLogWriter writer && serve.accessLog().file() != null) {
            try {
                Signal.handle(new Signal("USR1"), signal -> writer.reopen()); // logrotate moved the file: a new one
            } catch (IllegalArgumentException taken) { // a JVM that keeps SIGUSR1 for itself
                System.getLogger(FileServerMain.class.getName()).log(System.Logger.Level.WARNING,
                        "SIGUSR1 cannot reopen the access log here (" + taken.getMessage() + "): use logrotate's copytruncate");
            }
        }
        String scheme = options.tls() != null ? "https" : "http";
        System.out.println("Serving " + options.root().toRealPath() + " at " + scheme + "://" + options.host() + ":"
                + server.port() + "/  (" + server.transport() + "; Ctrl-C to stop)");
        if (server.adminPort() != FileServerOptions.ADMIN_OFF) {
            System.out.println("Admin (/health, /metrics, /_stats) at http://" + options.adminHost() + ":" + server.adminPort() + "/");
        }

        Signal first = (Signal) events.take();
        System.out.println("SIG" + first.getName() + ": draining, new connections are refused; waiting up to "
                + drainTimeout.toMillis() / 1000.0 + " s for " + server.openConnections()
                + " open connection(s) (Ctrl-C or SIGTERM again to stop at once)");
        server.drain(drainTimeout).thenRun(() -> events.add(DRAINED));
        Object next = events.take();
        server.close();
        if (next instanceof Signal second) {
            System.out.println("SIG" + second.getName() + " again: stopped at once");
            System.exit(128 + second.getNumber()); // the status the JVM itself gives for that signal
        }
        System.out.println("drained: stopped");
        System.exit(0);
    }
}
