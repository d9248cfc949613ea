package io.reactivemmap.netty.http;

import java.lang.System.Logger.Level;

/**
 * Where the front ends put their {@link AccessLogRecord}s: one call per answered request, once its response has ended,
 * on the thread that saw it end (an event loop: do not block here). Pass one to {@link FileExchange#of(RootDirectory,
 * RangeLimits, java.util.List, AccessLog)}, {@code FileRoute.of(options, accessLog)} or
 * {@code MappedFileHandler.of(root, mapOptions, rangeLimits, accessLog)}; without one, every front end uses
 * {@link #SYSTEM_LOGGER}.
 *
 * <p>The sinks given here write one format, {@link AccessLogRecord#line()} (nginx's {@code combined}, then protocol,
 * duration and outcome; the fields are listed there): {@link #SYSTEM_LOGGER} on a logger, so that the operator's
 * logging set-up routes it, and {@link AccessLogWriter} to standard output, standard error or a file, off the event
 * loop. An exception thrown by {@link #log} is caught and logged at {@code WARNING} on
 * {@code io.reactivemmap.netty.http.FileExchange}; the response is not affected.
 *
 * <pre>{@code
 * AccessLog json = r -> out.println("{\"status\":" + r.status() + ",\"target\":\"" + r.target() + "\"}");
 * }</pre>
 */
@FunctionalInterface
public interface AccessLog {
    /** The name of the {@link System.Logger} that {@link #SYSTEM_LOGGER} writes to. */
    String LOGGER_NAME = "io.reactivemmap.netty.http.access";

    /**
     * The default: {@link AccessLogRecord#line()} at {@code INFO} on the {@link System.Logger} named
     * {@value #LOGGER_NAME} (the line is only built when that level is enabled). It writes on the event loop, through
     * whatever handlers the logging set-up gives that logger: for a busy server prefer {@link AccessLogWriter}, or a
     * handler that does not block.
     */
    AccessLog SYSTEM_LOGGER = new AccessLog() {
        private final System.Logger logger = System.getLogger(LOGGER_NAME);

        @Override
        public void log(AccessLogRecord record) {
            logger.log(Level.INFO, record::line);
        }

        @Override
        public boolean isEnabled() {
            return logger.isLoggable(Level.INFO);
        }

        @Override
        public String toString() {
            return "AccessLog.SYSTEM_LOGGER";
        }
    };

    /** Logs nothing. */
    AccessLog NONE = new AccessLog() {
        @Override
        public void log(AccessLogRecord record) {
        }

        @Override
        public boolean isEnabled() {
            return false;
        }

        @Override
        public String toString() {
            return "AccessLog.NONE";
        }
    };

    /** Takes the record of one answered request. */
    void log(AccessLogRecord record);

    /**
     * Whether records are wanted now: when false, a response's end builds no record (it is the per-request cost of a
     * log that is off, as in a benchmark). {@link #SYSTEM_LOGGER} asks its logger for {@code INFO}; true by default.
     */
    default boolean isEnabled() {
        return true;
    }
}
