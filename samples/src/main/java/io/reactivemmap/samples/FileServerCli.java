package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.http.AccessLog;
import io.reactivemmap.netty.http.AccessLogWriter;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.CacheRules;
import io.reactivemmap.netty.http.FileServerOptions;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.TlsOptions;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import static picocli.CommandLine.Help.Visibility.ALWAYS;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line of {@link FileServerMain}: turns arguments and environment variables into
 * {@link FileServerOptions}, or into what to print and the exit code. {@link #parse(String[], Map)} never exits the
 * JVM and never throws for bad input, so it can be tested with a table of inputs.
 *
 * <p>Every option of {@link FileServerOptions} but the mapping budget (an object shared inside one JVM) has an option
 * here; {@code FileServerMain --help} lists them with their defaults. Each can also come from an environment variable
 * named {@value #ENV_PREFIX} followed by the option's name in upper case with {@code -} as {@code _}
 * ({@code --window-size} is {@code REACTIVE_MMAP_WINDOW_SIZE}); switches take {@code true} or {@code false}
 * ({@code REACTIVE_MMAP_TLS=true}, {@code REACTIVE_MMAP_HTTP2=false}). The command line wins over the environment.
 *
 * <p>Sizes are bytes, or a whole number with {@code k}, {@code m} or {@code g} (any case, powers of 1024); durations
 * are a whole number with {@code ms}, {@code s}, {@code m} or {@code h}. Every value is checked against the range
 * its option allows, with overflow checked: {@code --window-size 3000m} is rejected, not wrapped.
 *
 * <p>Exit codes: {@value #EXIT_USAGE} for bad usage (an unknown option, a missing or bad value, options that conflict,
 * a root that is not a readable directory, an access log file that cannot be written, a host name that does not
 * resolve), {@value #EXIT_CANNOT_START} when the
 * server cannot start (the port is in use, the address cannot be bound, TLS cannot be set up); either way exactly one
 * line on stderr, no stack trace.
 * {@code --help} and {@code --version} print to stdout and exit with 0.
 * {@code --drain-timeout} is not a server option: it goes to {@link FileServerMain}'s drain ({@link Serve#drainTimeout()}).
 */
public final class FileServerCli {
    /** The program name in usage, error lines and {@code --version}. */
    public static final String PROGRAM = "FileServerMain";
    /** The prefix of every option's environment variable. */
    public static final String ENV_PREFIX = "REACTIVE_MMAP_";
    /** The exit code of bad usage. */
    public static final int EXIT_USAGE = 2;
    /** The exit code of a server that could not start. */
    public static final int EXIT_CANNOT_START = 1;

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmg]?)", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)", Pattern.CASE_INSENSITIVE);
    private static final Pattern COUNT = Pattern.compile("\\d+");
    /** {@code Long.MAX_VALUE} nanoseconds, the longest duration a timer takes, in whole hours. */
    private static final long MAX_DURATION_HOURS = Long.MAX_VALUE / 3_600_000_000_000L;

    private FileServerCli() {
    }

    /** What the command line asks for: {@link Serve} or {@link Exit}. */
    public sealed interface Outcome permits Serve, Exit {
    }

    /**
     * Start a server with these options.
     *
     * @param options valid options (the root is a readable directory)
     * @param drainTimeout how long the first SIGTERM or Ctrl-C lets responses in flight finish
     *                     ({@link io.reactivemmap.netty.http.FileServer#drain}), at least zero
     * @param accessLog where {@code --access-log} sends the access log
     */
    public record Serve(FileServerOptions options, Duration drainTimeout, AccessLogTarget accessLog) implements Outcome {
        /** The default of {@code --drain-timeout}. */
        public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

        /** Checks the arguments. */
        public Serve {
            java.util.Objects.requireNonNull(options, "options");
            java.util.Objects.requireNonNull(drainTimeout, "drainTimeout");
            java.util.Objects.requireNonNull(accessLog, "accessLog");
        }

        /** With the default access log, {@link AccessLogTarget#STDOUT}. */
        public Serve(FileServerOptions options, Duration drainTimeout) {
            this(options, drainTimeout, AccessLogTarget.STDOUT);
        }

        /** With the default drain timeout, {@link #DEFAULT_DRAIN_TIMEOUT}, and the default access log. */
        public Serve(FileServerOptions options) {
            this(options, DEFAULT_DRAIN_TIMEOUT);
        }
    }

    /**
     * Where {@code --access-log} sends the access log ({@link io.reactivemmap.netty.http.AccessLogRecord#line()}, one
     * line per request): {@code stdout} (the default), {@code stderr}, {@code logger}, {@code off}, or a file.
     *
     * @param sink which of these
     * @param file the file to append to, absolute, for {@link Sink#FILE}; null otherwise
     */
    public record AccessLogTarget(Sink sink, @Nullable Path file) {
        /** Standard output, the default: where a container's log collector looks. */
        public static final AccessLogTarget STDOUT = new AccessLogTarget(Sink.STDOUT, null);

        /** The kinds of place. */
        public enum Sink {
            /** Standard output, through an {@link AccessLogWriter}. */
            STDOUT,
            /** Standard error, through an {@link AccessLogWriter}. */
            STDERR,
            /** The {@code java.util.logging} logger {@value AccessLog#LOGGER_NAME} ({@link AccessLog#SYSTEM_LOGGER}). */
            LOGGER,
            /** No access log ({@link AccessLog#NONE}). */
            OFF,
            /** A file appended to, through an {@link AccessLogWriter}. */
            FILE
        }

        /** Requires a file for {@link Sink#FILE} and none for the others. */
        public AccessLogTarget {
            java.util.Objects.requireNonNull(sink, "sink");
            if ((sink == Sink.FILE) != (file != null)) {
                throw new IllegalArgumentException(sink == Sink.FILE ? "a FILE target needs a file" : sink + " takes no file");
            }
        }

        /**
         * The access log this names, ready for {@code FileServer.start(options, accessLog)}: an
         * {@link AccessLogWriter} (to close when the server is closed) for standard output, standard error and a file,
         * {@link AccessLog#SYSTEM_LOGGER} or {@link AccessLog#NONE}.
         *
         * @throws IOException naming the file when it cannot be opened for appending
         */
        public AccessLog open() throws IOException {
            return switch (sink) {
                case STDOUT -> AccessLogWriter.toStdout();
                case STDERR -> AccessLogWriter.toStderr();
                case LOGGER -> AccessLog.SYSTEM_LOGGER;
                case OFF -> AccessLog.NONE;
                case FILE -> AccessLogWriter.toFile(java.util.Objects.requireNonNull(file));
            };
        }
    }

    /**
     * The {@code java.util.logging.SimpleFormatter} format {@link FileServerMain} sets: one line per record, time,
     * level, logger and message ({@code 2026-12-04T19:22:05.123+0000 WARNING io.reactivemmap.netty.http.FileExchange:
     * ...}); a throwable's stack trace, which only a bug logs, follows on its own lines.
     */
    public static final String LOG_FORMAT = "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%6$s%n";

    /**
     * Puts {@link #LOG_FORMAT} into {@code systemProperties} as {@code java.util.logging.SimpleFormatter.format},
     * unless the user set up logging of their own: {@code java.util.logging.config.file},
     * {@code java.util.logging.config.class} or that format property itself.
     *
     * @param systemProperties {@link System#getProperties()} in {@link FileServerMain}, before anything logs
     * @return whether the format was set
     */
    public static boolean oneLineLogs(Properties systemProperties) {
        for (String own : List.of("java.util.logging.config.file", "java.util.logging.config.class",
                "java.util.logging.SimpleFormatter.format")) {
            if (systemProperties.getProperty(own) != null) {
                return false;
            }
        }
        systemProperties.setProperty("java.util.logging.SimpleFormatter.format", LOG_FORMAT);
        return true;
    }

    /**
     * Print {@code out} on stdout and {@code err} on stderr (either may be empty; {@code err} is at most one line)
     * and exit with {@code code}.
     *
     * @param code the exit code: 0, {@link #EXIT_USAGE} or {@link #EXIT_CANNOT_START}
     * @param out for stdout: the usage help or the version
     * @param err for stderr: one line saying what is wrong, or empty
     */
    public record Exit(int code, String out, String err) implements Outcome {
        /** Prints {@link #out()} and {@link #err()} (those that are not empty) and returns {@link #code()}. */
        public int print(PrintStream stdout, PrintStream stderr) {
            if (!out.isEmpty()) {
                stdout.print(out.endsWith("\n") ? out : out + "\n");
                stdout.flush();
            }
            if (!err.isEmpty()) {
                stderr.println(err);
                stderr.flush();
            }
            return code;
        }
    }

    /**
     * Parses {@code args}, taking what they leave out from {@code env} (environment variables, see the class comment)
     * and then from the defaults.
     *
     * @param args the command line
     * @param env  the environment, {@link System#getenv()} in {@link FileServerMain}
     * @return the options to serve with, or what to print and the exit code (help, version, or one error line)
     */
    public static Outcome parse(String[] args, Map<String, String> env) {
        Options o = new Options();
        CommandLine cl = commandLine(o, env);
        ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (ParameterException e) {
            return usage(describe(e, args));
        }
        if (cl.isUsageHelpRequested()) {
            return new Exit(0, cl.getUsageMessage(), "");
        }
        if (cl.isVersionHelpRequested()) {
            return new Exit(0, String.join("\n", cl.getCommandSpec().version()), "");
        }
        try {
            Values values = new Values(parsed, env);
            FileServerOptions options = o.toOptions(values);
            return new Serve(options, values.duration("--drain-timeout", o.drainTimeout, true),
                    values.accessLog("--access-log", o.accessLog));
        } catch (BadValue e) {
            return usage(e.getMessage());
        } catch (IllegalArgumentException e) { // FileServerOptions.Builder#build: options that conflict
            return usage(PROGRAM + ": " + oneLine(e.getMessage()));
        }
    }

    /** The usage help, as {@code --help} prints it; with {@code env}'s values shown as the defaults they are. */
    public static String usage(Map<String, String> env) {
        return commandLine(new Options(), env).getUsageMessage();
    }

    /**
     * What {@link FileServerMain} prints when {@code FileServer.start} fails (the port is in use, the address cannot
     * be bound, TLS cannot be set up): one line, exit code {@link #EXIT_CANNOT_START}.
     */
    public static Exit cannotStart(IOException e) {
        return new Exit(EXIT_CANNOT_START, "", PROGRAM + ": " + oneLine(e.getMessage() != null ? e.getMessage() : e.toString()));
    }

    /** The environment variable of an option: {@code --window-size} → {@code REACTIVE_MMAP_WINDOW_SIZE}. */
    public static String envName(String longOption) {
        String name = longOption.startsWith("--") ? longOption.substring(2) : longOption;
        return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static CommandLine commandLine(Options o, Map<String, String> env) {
        CommandLine cl = new CommandLine(o);
        cl.setDefaultValueProvider(arg -> arg instanceof OptionSpec opt && !opt.usageHelp() && !opt.versionHelp()
                ? env.get(envName(opt.longestName())) : null);
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as a later line of a config does
        cl.setUsageHelpWidth(100);
        return cl;
    }

    private static Exit usage(String line) {
        return new Exit(EXIT_USAGE, "", line);
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** The one line for an error picocli found: an unknown option, a missing value, a switch that is not true/false. */
    private static String describe(ParameterException e, String[] args) {
        if (e instanceof CommandLine.UnmatchedArgumentException u) {
            List<String> unmatched = u.getUnmatched();
            String first = unmatched.isEmpty() ? "?" : unmatched.get(0);
            return PROGRAM + ": " + (first.startsWith("-") ? "unknown option '" + first + "'" : "unexpected argument '" + first + "'")
                    + " (" + PROGRAM + " --help lists the options)";
        }
        if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()
                && m.getMissing().get(0) instanceof OptionSpec opt) {
            return PROGRAM + ": " + opt.longestName() + " needs a value: " + Options.ALLOWED.getOrDefault(opt.longestName(), opt.paramLabel());
        }
        ArgSpec arg = e.getArgSpec();
        if (arg instanceof OptionSpec opt && e.getValue() != null) {
            String source = onCommandLine(opt, args) ? opt.longestName()
                    : envName(opt.longestName()) + " (the environment variable of " + opt.longestName() + ")";
            return invalid(source, e.getValue(), Options.ALLOWED.getOrDefault(opt.longestName(), "see --help"));
        }
        return PROGRAM + ": " + oneLine(String.valueOf(e.getMessage()));
    }

    private static boolean onCommandLine(OptionSpec opt, String[] args) {
        String name = opt.longestName();
        String negated = name.startsWith("--") ? "--no-" + name.substring(2) : name;
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            for (String n : List.of(name, negated)) {
                if (a.equals(n) || a.startsWith(n + "=")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String invalid(String source, String value, String allowed) {
        return PROGRAM + ": invalid " + source + " '" + value + "': expected " + allowed;
    }

    /** The project version, from {@code version.properties} (filtered by Maven): never typed in by hand. */
    private static String version() {
        Properties p = new Properties();
        try (InputStream in = FileServerCli.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return PROGRAM + " " + p.getProperty("version", "(version unknown: built without Maven's resources)")
                + " (reactive-mmap file server; Java " + Runtime.version() + ")";
    }

    /** A value outside what its option allows; the message is the whole error line. */
    private static final class BadValue extends RuntimeException {
        BadValue(String line) {
            super(line, null, false, false);
        }
    }

    /**
     * The raw value of each option, and where it came from: the command line, the environment, or the default (which
     * picocli puts in the field when neither gives one).
     */
    private record Values(ParseResult parsed, Map<String, String> env) {
        /** The name to put in an error line: the option, or the environment variable its value came from. */
        String source(String option) {
            if (parsed.hasMatchedOption(option) || !env.containsKey(envName(option))) {
                return option;
            }
            return envName(option) + " (the environment variable of " + option + ")";
        }

        String text(String option, String raw) {
            if (raw.isEmpty()) {
                throw bad(option, raw);
            }
            return raw;
        }

        BadValue bad(String option, String raw) {
            return new BadValue(invalid(source(option), raw, Options.ALLOWED.get(option)));
        }

        long count(String option, String raw, long min, long max) {
            if (COUNT.matcher(raw).matches()) {
                try {
                    long n = Long.parseLong(raw);
                    if (n >= min && n <= max) {
                        return n;
                    }
                } catch (NumberFormatException tooLong) {
                    // out of range, as below
                }
            }
            throw bad(option, raw);
        }

        int intCount(String option, String raw, int min, int max) {
            return Math.toIntExact(count(option, raw, min, max));
        }

        /** Bytes, with an optional k/m/g suffix (powers of 1024); overflow is out of range, never a wrap. */
        long size(String option, String raw, long min, long max) {
            Matcher m = SIZE.matcher(raw);
            if (m.matches()) {
                try {
                    long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                        case "k" -> 1L << 10;
                        case "m" -> 1L << 20;
                        case "g" -> 1L << 30;
                        default -> 1;
                    };
                    long n = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
                    if (n >= min && n <= max) {
                        return n;
                    }
                } catch (NumberFormatException | ArithmeticException tooLarge) {
                    // out of range, as below
                }
            }
            throw bad(option, raw);
        }

        int intSize(String option, String raw, int min, int max) {
            return Math.toIntExact(size(option, raw, min, max));
        }

        /** A whole number of ms, s, m or h (or a bare 0 where zero is allowed), short enough for a timer's nanos. */
        Duration duration(String option, String raw, boolean zeroAllowed) {
            if (zeroAllowed && raw.equals("0")) {
                return Duration.ZERO;
            }
            Matcher m = DURATION.matcher(raw);
            if (m.matches()) {
                try {
                    ChronoUnit unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                        case "ms" -> ChronoUnit.MILLIS;
                        case "s" -> ChronoUnit.SECONDS;
                        case "m" -> ChronoUnit.MINUTES;
                        default -> ChronoUnit.HOURS;
                    };
                    Duration d = Duration.of(Long.parseLong(m.group(1)), unit);
                    d.toNanos(); // throws ArithmeticException beyond ~292 years
                    if (d.compareTo(Duration.ofHours(MAX_DURATION_HOURS)) <= 0 && (zeroAllowed || !d.isZero())) {
                        return d;
                    }
                } catch (NumberFormatException | ArithmeticException tooLong) {
                    // out of range, as below
                }
            }
            throw bad(option, raw);
        }

        /** An address literal, or a name that resolves now (bind would fail on it with no useful message). */
        String host(String option, String raw) {
            try {
                InetAddress.getByName(text(option, raw));
                return raw;
            } catch (UnknownHostException e) {
                throw new BadValue(PROGRAM + ": invalid " + source(option) + " '" + raw + "': the name cannot be resolved");
            }
        }

        /** {@code stdout}, {@code stderr}, {@code logger}, {@code off} (any case), or a file that can be appended to. */
        AccessLogTarget accessLog(String option, String raw) {
            switch (text(option, raw).toLowerCase(Locale.ROOT)) {
                case "stdout" -> {
                    return AccessLogTarget.STDOUT;
                }
                case "stderr" -> {
                    return new AccessLogTarget(AccessLogTarget.Sink.STDERR, null);
                }
                case "logger" -> {
                    return new AccessLogTarget(AccessLogTarget.Sink.LOGGER, null);
                }
                case "off" -> {
                    return new AccessLogTarget(AccessLogTarget.Sink.OFF, null);
                }
                default -> {
                    Path p;
                    try {
                        p = Path.of(raw).toAbsolutePath().normalize();
                    } catch (InvalidPathException e) {
                        throw bad(option, raw);
                    }
                    String problem = AccessLogWriter.problem(p);
                    if (problem != null) {
                        throw new BadValue(PROGRAM + ": invalid " + source(option) + " '" + raw + "': " + problem);
                    }
                    return new AccessLogTarget(AccessLogTarget.Sink.FILE, p);
                }
            }
        }

        BodyMode bodyMode(String option, String raw) {
            for (BodyMode mode : BodyMode.values()) {
                if (mode.name().equalsIgnoreCase(raw)) {
                    return mode;
                }
            }
            throw bad(option, raw);
        }

        /** A directory that exists and can be listed; the error line says which of these it is not. */
        Path root(String option, String raw) {
            Path p;
            try {
                p = Path.of(text(option, raw)).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw bad(option, raw);
            }
            String problem = !Files.exists(p) ? "no such directory"
                    : !Files.isDirectory(p) ? "it is a file, not a directory"
                    : !Files.isReadable(p) || !Files.isExecutable(p) ? "the directory cannot be read (permission denied)"
                    : null;
            if (problem != null) {
                throw new BadValue(PROGRAM + ": invalid " + source(option) + " '" + raw + "': " + problem);
            }
            return p;
        }
    }

    /** A size for an error line: {@code 4096} → {@code 4k}, when it is a whole number of k, m or g. */
    private static String size(long bytes) {
        for (String unit : List.of("g", "m", "k")) {
            int shift = switch (unit) {
                case "g" -> 30;
                case "m" -> 20;
                default -> 10;
            };
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + unit;
            }
        }
        return Long.toString(bytes);
    }

    private static final String SIZES = " (bytes; k, m, g are powers of 1024)";
    private static final String DURATIONS = " (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)";

    /**
     * The options, as picocli fills them. Values are kept as the strings given and checked by
     * {@link #toOptions(Values)}, which knows where each came from; switches are booleans.
     */
    @Command(name = PROGRAM, mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            versionProvider = VersionProvider.class,
            description = "Serves the files under a directory over HTTP/1.1 and HTTP/2 (h2 by ALPN with TLS, h2c with "
                    + "prior knowledge without) until Ctrl-C or SIGTERM.",
            footer = {"",
                    "Every option can also be set by an environment variable: " + ENV_PREFIX + " and the option's name in "
                            + "upper case, with '-' as '_' (--window-size: REACTIVE_MMAP_WINDOW_SIZE=64k). Switches take "
                            + "true or false (REACTIVE_MMAP_TLS=true, REACTIVE_MMAP_HTTP2=false). The command line wins "
                            + "over the environment.",
                    "Sizes: bytes, or a whole number with k, m or g (any case, powers of 1024). Durations: a whole "
                            + "number with ms, s, m or h (500ms, 30s, 5m, 1h).",
                    "Exit codes: 2 for bad usage (unknown option, missing or bad value, conflicting options, a root "
                            + "that is not a readable directory, an access log file that cannot be written, a host name "
                            + "that does not resolve), 1 when the server "
                            + "cannot start (port in use, address not bindable, TLS set-up failed): either way one line "
                            + "on stderr. 0 when the drain that the first Ctrl-C or SIGTERM starts has ended, and after "
                            + "--help or --version; 130 or 143 after a second Ctrl-C or SIGTERM, which closes at once."})
    static final class Options {
        /** What each option takes, for error lines. */
        static final Map<String, String> ALLOWED = Map.ofEntries(
                Map.entry("--root", "a readable directory"),
                Map.entry("--host", "an address or host name to bind, such as 127.0.0.1, 0.0.0.0 or ::"),
                Map.entry("--port", "a port number, 0-65535 (0 picks a free one)"),
                Map.entry("--tls", "true or false"),
                Map.entry("--tls-cert", "a PEM certificate chain file"),
                Map.entry("--tls-key", "a PEM private key file"),
                Map.entry("--body-mode", "auto, sendfile or mapped"),
                Map.entry("--window-size", "a size from 4k to " + size(MapOptions.MAX_WINDOW_SIZE) + SIZES),
                Map.entry("--max-bytes-in-flight", "a size of at least 1" + SIZES),
                Map.entry("--max-connections", "a whole number from 1 to " + Integer.MAX_VALUE),
                Map.entry("--idle-timeout", "a positive duration" + DURATIONS),
                Map.entry("--request-head-timeout", "a positive duration" + DURATIONS),
                Map.entry("--min-rate", "a size of at least 0 bytes per second" + SIZES),
                Map.entry("--min-rate-period", "a duration of at least 0 (0 turns the check off)" + DURATIONS),
                Map.entry("--max-ranges", "a whole number from 1 to " + Integer.MAX_VALUE),
                Map.entry("--range-coalesce-gap", "a size of at least 0" + SIZES),
                Map.entry("--serve-hidden", "true or false"),
                Map.entry("--follow-symlinks-outside", "true or false"),
                Map.entry("--admin-port", "a port number, 0-65535 (0 picks a free one), or off"),
                Map.entry("--admin-host", "an address or host name to bind, such as 127.0.0.1 or ::1"),
                Map.entry("--io-threads", "a whole number from 0 (one per processor) to " + Integer.MAX_VALUE),
                Map.entry("--native-transport", "true or false"),
                Map.entry("--http2", "true or false"),
                Map.entry("--max-concurrent-streams", "a whole number from 1 to " + Integer.MAX_VALUE),
                Map.entry("--max-bytes-in-flight-per-connection", "a size of at least 1" + SIZES),
                Map.entry("--max-windows-per-connection", "a whole number from 1 to " + Integer.MAX_VALUE),
                Map.entry("--budget-wait-timeout", "a positive duration" + DURATIONS),
                Map.entry("--cache-control", "a Cache-Control value, such as 'no-cache' or 'public, max-age=3600'"),
                Map.entry("--cache-rule", "GLOB=VALUE, such as 'assets/**=public, max-age=31536000, immutable'"),
                Map.entry("--expires", "true or false"),
                Map.entry("--drain-timeout", "a duration of at least 0 (0 cuts responses in flight at once)" + DURATIONS),
                Map.entry("--precompressed", "true or false"),
                Map.entry("--directory-listings", "true or false"),
                Map.entry("--access-log", "stdout, stderr, logger, off, or a file to append to"));

        @Option(names = "--root", paramLabel = "DIR", defaultValue = ".", description = "The directory served.")
        String root = ".";

        @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "The address to bind (0.0.0.0 or :: for every interface: exposing a file server is a decision).")
        String host = "";

        @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "The port, 0-65535; 0 picks a free one.")
        String port = "";

        // TLS: the options below turn into one TlsOptions in tls(Values). The files are read when the server
        // starts (FileServer.start), so a bad file is "cannot start" (exit 1), not bad usage.
        @Option(names = "--tls", defaultValue = "false", converter = Switch.class, showDefaultValue = ALWAYS,
                description = "HTTPS with a self-signed certificate for localhost, made at start-up: for development "
                        + "only (no client trusts it). For a real certificate give --tls-cert and --tls-key instead.")
        boolean tls;

        @Option(names = "--tls-cert", paramLabel = "FILE",
                description = "HTTPS with this PEM certificate chain: the server's certificate first, then the "
                        + "intermediates. Needs --tls-key.")
        @Nullable String tlsCert;

        @Option(names = "--tls-key", paramLabel = "FILE",
                description = "The PEM private key of --tls-cert: RSA or EC, as PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 "
                        + "(BEGIN RSA PRIVATE KEY) or SEC1 (BEGIN EC PRIVATE KEY), not encrypted; may be the same file.")
        @Nullable String tlsKey;

        @Option(names = "--body-mode", paramLabel = "MODE", defaultValue = "auto",
                description = "How bytes reach the socket: auto, sendfile (plain HTTP/1.1 only) or mapped.")
        String bodyMode = "";

        @Option(names = "--window-size", paramLabel = "SIZE", defaultValue = "4m",
                description = "Bytes per mapped window, 4k to just under 2g.")
        String windowSize = "";

        @Option(names = "--max-bytes-in-flight", paramLabel = "SIZE", defaultValue = "8m",
                description = "Bytes of mapped windows written and not yet sent, per response body.")
        String maxBytesInFlight = "";

        @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
                description = "Connections served at once; more get 503 and are closed.")
        String maxConnections = "";

        @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s",
                description = "A connection with no request or response in progress for this long is closed.")
        String idleTimeout = "";

        @Option(names = "--request-head-timeout", paramLabel = "DURATION", defaultValue = "10s",
                description = "The time a client has to send a request's head once it has started (408 then).")
        String requestHeadTimeout = "";

        @Option(names = "--min-rate", paramLabel = "SIZE", defaultValue = "1k",
                description = "Bytes per second a client must read while a response is sent; slower ones are dropped.")
        String minRate = "";

        @Option(names = "--min-rate-period", paramLabel = "DURATION", defaultValue = "30s",
                description = "The period --min-rate is measured over; 0 turns the check off.")
        String minRatePeriod = "";

        @Option(names = "--max-ranges", paramLabel = "N", defaultValue = "16",
                description = "The most parts of a multipart/byteranges response; more ranges get the whole file (200).")
        String maxRanges = "";

        @Option(names = "--range-coalesce-gap", paramLabel = "SIZE", defaultValue = "80",
                description = "Ranges at most this many bytes apart are served as one part.")
        String rangeCoalesceGap = "";

        @Option(names = "--serve-hidden", defaultValue = "false", converter = Switch.class, showDefaultValue = ALWAYS,
                description = "Serve names starting with a dot.")
        boolean serveHidden;

        @Option(names = "--follow-symlinks-outside", defaultValue = "false", converter = Switch.class, showDefaultValue = ALWAYS,
                description = "Follow symbolic links that lead outside the root.")
        boolean followSymlinksOutside;

        @Option(names = "--admin-port", paramLabel = "N", defaultValue = "off",
                description = "The admin port (GET /health, /metrics in the Prometheus format, /_stats as JSON), 0-65535 "
                        + "(0 picks a free one), or off.")
        String adminPort = "";

        @Option(names = "--admin-host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "The address the admin port binds (loopback: its metrics are for the operator).")
        String adminHost = "";

        @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
                description = "Event-loop threads; 0 for one per processor.")
        String ioThreads = "";

        @Option(names = "--native-transport", negatable = true, defaultValue = "true", fallbackValue = "true", showDefaultValue = ALWAYS,
                converter = Switch.class, description = "Use epoll when it is available (otherwise NIO).")
        boolean nativeTransport;

        @Option(names = "--http2", negatable = true, defaultValue = "true", fallbackValue = "true", showDefaultValue = ALWAYS, converter = Switch.class,
                description = "Serve HTTP/2 besides HTTP/1.1.")
        boolean http2;

        @Option(names = "--max-concurrent-streams", paramLabel = "N", defaultValue = "100",
                description = "HTTP/2 streams a client may have open at once on one connection.")
        String maxConcurrentStreams = "";

        @Option(names = "--max-bytes-in-flight-per-connection", paramLabel = "SIZE", defaultValue = "32m",
                description = "Bytes of mapped windows one connection may hold at once, all its bodies together.")
        String maxBytesInFlightPerConnection = "";

        @Option(names = "--max-windows-per-connection", paramLabel = "N", defaultValue = "16",
                description = "Windows one connection may hold mapped at once, all its bodies together.")
        String maxWindowsPerConnection = "";

        @Option(names = "--budget-wait-timeout", paramLabel = "DURATION", defaultValue = "5s",
                description = "How long a body may wait for the global mapping budget before 503.")
        String budgetWaitTimeout = "";

        @Option(names = "--cache-control", paramLabel = "VALUE",
                description = "The Cache-Control of files no --cache-rule matches (none by default: no header).")
        @Nullable String cacheControl;

        @Option(names = "--cache-rule", paramLabel = "GLOB=VALUE", split = "\\R", splitSynopsisLabel = "\\n",
                showDefaultValue = CommandLine.Help.Visibility.NEVER,
                description = "Cache-Control VALUE for files whose path under the root matches GLOB (java.nio glob: "
                        + "'*' within a name, '**' across directories), such as 'assets/**=public, max-age=31536000, "
                        + "immutable'. Repeatable; the first match wins. The environment variable takes one rule per line.")
        List<String> cacheRules = new ArrayList<>();

        @Option(names = "--expires", defaultValue = "false", converter = Switch.class, showDefaultValue = ALWAYS,
                description = "Also send Expires (Date + max-age) when the Cache-Control value has max-age.")
        boolean expires;

        @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s",
                description = "How long the first Ctrl-C or SIGTERM lets responses in flight finish (new connections are "
                        + "refused meanwhile) before it closes them; a second one closes at once.")
        String drainTimeout = "";

        @Option(names = "--precompressed", defaultValue = "false", converter = Switch.class, showDefaultValue = ALWAYS,
                description = "Serve NAME.br or NAME.gz beside NAME to clients whose Accept-Encoding takes it "
                        + "(nginx's gzip_static and brotli_static), zero-copy, with Vary: Accept-Encoding. Nothing is "
                        + "compressed on the fly.")
        boolean precompressed;

        @Option(names = "--directory-listings", defaultValue = "false", converter = Switch.class,
                showDefaultValue = ALWAYS,
                description = "List a directory that has no index.html (nginx's autoindex): only what a request would "
                        + "be given (no hidden files unless served, no link the link rules refuse), as HTML with "
                        + "sizes and dates; /dir is redirected to /dir/.")
        boolean directoryListings;

        @Option(names = "--access-log", paramLabel = "WHERE", defaultValue = "stdout",
                description = "Where the access log goes, one line per request (nginx's combined format, then protocol, "
                        + "seconds, and aborted or failed for a response cut short): stdout, the default, so that a "
                        + "container's log collector gets it, apart from warnings and errors, which go to stderr; "
                        + "stderr; logger, the java.util.logging logger io.reactivemmap.netty.http.access, for your "
                        + "logging configuration to route; off; or a FILE to append to (SIGUSR1 reopens it, for "
                        + "logrotate; ./stdout for a file named stdout).")
        String accessLog = "";

        /** Checks every value against its option's range and builds the options (whose own checks come last). */
        FileServerOptions toOptions(Values v) {
            return FileServerOptions.builder(v.root("--root", root))
                    .host(v.host("--host", host))
                    .port(v.intCount("--port", port, 0, 65535))
                    .tls(tls(v))
                    .bodyMode(v.bodyMode("--body-mode", bodyMode))
                    .windowSize(v.intSize("--window-size", windowSize, 4096, MapOptions.MAX_WINDOW_SIZE))
                    .maxBytesInFlight(v.size("--max-bytes-in-flight", maxBytesInFlight, 1, Long.MAX_VALUE))
                    .maxConnections(v.intCount("--max-connections", maxConnections, 1, Integer.MAX_VALUE))
                    .idleTimeout(v.duration("--idle-timeout", idleTimeout, false))
                    .requestHeadTimeout(v.duration("--request-head-timeout", requestHeadTimeout, false))
                    .minRate(v.size("--min-rate", minRate, 0, Long.MAX_VALUE))
                    .minRatePeriod(v.duration("--min-rate-period", minRatePeriod, true))
                    .rangeLimits(new RangeLimits(v.intCount("--max-ranges", maxRanges, 1, Integer.MAX_VALUE),
                            v.size("--range-coalesce-gap", rangeCoalesceGap, 0, Long.MAX_VALUE)))
                    .serveHidden(serveHidden)
                    .followSymlinksOutside(followSymlinksOutside)
                    .adminPort(adminPort.equalsIgnoreCase("off") ? FileServerOptions.ADMIN_OFF
                            : v.intCount("--admin-port", adminPort, 0, 65535))
                    .adminHost(v.host("--admin-host", adminHost))
                    .ioThreads(v.intCount("--io-threads", ioThreads, 0, Integer.MAX_VALUE))
                    .preferNativeTransport(nativeTransport)
                    .http2(http2)
                    .maxConcurrentStreams(v.intCount("--max-concurrent-streams", maxConcurrentStreams, 1, Integer.MAX_VALUE))
                    .maxBytesInFlightPerConnection(v.size("--max-bytes-in-flight-per-connection",
                            maxBytesInFlightPerConnection, 1, Long.MAX_VALUE))
                    .maxWindowsPerConnection(v.intCount("--max-windows-per-connection", maxWindowsPerConnection, 1,
                            Integer.MAX_VALUE))
                    .budgetWaitTimeout(v.duration("--budget-wait-timeout", budgetWaitTimeout, false))
                    .cacheRules(cacheRules(v))
                    .precompressed(precompressed)
                    .directoryListings(directoryListings)
                    .build();
        }

        /** The {@code Cache-Control} rules: {@code --cache-control}, each {@code --cache-rule}, {@code --expires}. */
        private CacheRules cacheRules(Values v) {
            CacheRules.Builder b = CacheRules.builder().expires(expires);
            if (cacheControl != null) {
                try {
                    b.defaultCacheControl(cacheControl);
                } catch (IllegalArgumentException e) {
                    throw new BadValue(PROGRAM + ": invalid " + v.source("--cache-control") + " '" + cacheControl + "': "
                            + oneLine(e.getMessage()));
                }
            }
            for (String rule : cacheRules) {
                int eq = rule.indexOf('=');
                if (eq <= 0) {
                    throw v.bad("--cache-rule", rule);
                }
                try {
                    b.rule(rule.substring(0, eq), rule.substring(eq + 1));
                } catch (IllegalArgumentException e) {
                    throw new BadValue(PROGRAM + ": invalid " + v.source("--cache-rule") + " '" + rule + "': "
                            + oneLine(e.getMessage()));
                }
            }
            return b.build();
        }

        /**
         * The TLS the options ask for: none, a self-signed certificate with {@code --tls}, or the PEM files of
         * {@code --tls-cert} and {@code --tls-key} (both, and not with {@code --tls}).
         */
        private @Nullable TlsOptions tls(Values v) {
            if (tlsCert == null && tlsKey == null) {
                return tls ? TlsOptions.selfSigned() : null;
            }
            if (tls) {
                throw new BadValue(PROGRAM + ": " + v.source("--tls") + " (a self-signed development certificate) "
                        + "cannot be combined with " + v.source(tlsCert != null ? "--tls-cert" : "--tls-key")
                        + ": drop --tls, --tls-cert and --tls-key turn HTTPS on");
            }
            if (tlsCert == null || tlsKey == null) {
                String given = tlsCert != null ? "--tls-cert" : "--tls-key";
                String missing = tlsCert != null ? "--tls-key (the PEM private key)" : "--tls-cert (the PEM certificate chain)";
                throw new BadValue(PROGRAM + ": " + v.source(given) + " needs " + missing + ": give both, or neither");
            }
            return new TlsOptions(pemFile(v, "--tls-cert", tlsCert), pemFile(v, "--tls-key", tlsKey));
        }

        /** A file name, made absolute so that errors and logs name it whatever the working directory. */
        private static Path pemFile(Values v, String option, String raw) {
            try {
                return Path.of(v.text(option, raw)).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw v.bad(option, raw);
            }
        }
    }

    /** {@code true} or {@code false}, any case: a switch's value from the environment ({@code REACTIVE_MMAP_TLS}). */
    static final class Switch implements CommandLine.ITypeConverter<Boolean> {
        @Override
        public Boolean convert(String value) {
            if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(value.toLowerCase(Locale.ROOT));
            }
            throw new CommandLine.TypeConversionException("expected true or false");
        }
    }

    /** {@code --version}: the project version Maven wrote into {@code version.properties}. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }
}
