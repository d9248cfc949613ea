package io.reactivemmap.samples;

import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.CacheRules;
import io.reactivemmap.netty.http.FileServer;
import io.reactivemmap.netty.http.FileServerOptions;
import io.reactivemmap.netty.http.RangeLimits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@link FileServerCli}: a table of bad inputs and their one error line, parse successes, help, version. */
class FileServerCliTest {
    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void files() throws IOException {
        file = Files.writeString(dir.resolve("plain.txt"), "not a directory");
    }

    static Stream<Arguments> badInputs() {
        String root = dir.toString();
        return Stream.of(
                bad(List.of("--port", "abc"), Map.of(),
                        "FileServerMain: invalid --port 'abc': expected a port number, 0-65535 (0 picks a free one)"),
                bad(List.of("--port", "70000"), Map.of(),
                        "FileServerMain: invalid --port '70000': expected a port number, 0-65535 (0 picks a free one)"),
                bad(List.of("--port=-1"), Map.of(),
                        "FileServerMain: invalid --port '-1': expected a port number, 0-65535 (0 picks a free one)"),
                bad(List.of("--root", root, "--admin-port", "abc"), Map.of(),
                        "FileServerMain: invalid --admin-port 'abc': expected a port number, 0-65535 (0 picks a free one), or off"),
                bad(List.of("--root", root, "--admin-port", "65536"), Map.of(),
                        "FileServerMain: invalid --admin-port '65536': expected a port number, 0-65535 (0 picks a free one), or off"),
                bad(List.of("--root", root, "--admin-port=-1"), Map.of(),
                        "FileServerMain: invalid --admin-port '-1': expected a port number, 0-65535 (0 picks a free one), or off"),
                bad(List.of("--root", root, "--admin-port", ""), Map.of(),
                        "FileServerMain: invalid --admin-port '': expected a port number, 0-65535 (0 picks a free one), or off"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_ADMIN_PORT", "on"),
                        "FileServerMain: invalid REACTIVE_MMAP_ADMIN_PORT (the environment variable of --admin-port) 'on': expected a port number, 0-65535 (0 picks a free one), or off"),
                bad(List.of("--root", root, "--admin-port"), Map.of(),
                        "FileServerMain: --admin-port needs a value: a port number, 0-65535 (0 picks a free one), or off"),
                bad(List.of("--root", root, "--admin-port", "0", "--admin-host", "no-such-host.invalid"), Map.of(),
                        "FileServerMain: invalid --admin-host 'no-such-host.invalid': the name cannot be resolved"),
                bad(List.of("--root", "/missing"), Map.of(), "FileServerMain: invalid --root '/missing': no such directory"),
                bad(List.of("--root", file.toString()), Map.of(),
                        "FileServerMain: invalid --root '" + file + "': it is a file, not a directory"),
                bad(List.of("--host", "no-such-host.invalid"), Map.of(),
                        "FileServerMain: invalid --host 'no-such-host.invalid': the name cannot be resolved"),
                bad(List.of("--body-mode", "foo"), Map.of(),
                        "FileServerMain: invalid --body-mode 'foo': expected auto, sendfile or mapped"),
                bad(List.of("--window-size", "3000m"), Map.of(),
                        "FileServerMain: invalid --window-size '3000m': expected a size from 4k to 2147479551 (bytes; k, m, g are powers of 1024)"),
                bad(List.of("--window-size", "12"), Map.of(),
                        "FileServerMain: invalid --window-size '12': expected a size from 4k to 2147479551 (bytes; k, m, g are powers of 1024)"),
                bad(List.of("--window-size", "99999999999999999999g"), Map.of(),
                        "FileServerMain: invalid --window-size '99999999999999999999g': expected a size from 4k to 2147479551 (bytes; k, m, g are powers of 1024)"),
                bad(List.of("--max-bytes-in-flight", "9000000000g"), Map.of(), // 9e9 * 2^30 overflows a long
                        "FileServerMain: invalid --max-bytes-in-flight '9000000000g': expected a size of at least 1 (bytes; k, m, g are powers of 1024)"),
                bad(List.of("--window-size", "4x"), Map.of(),
                        "FileServerMain: invalid --window-size '4x': expected a size from 4k to 2147479551 (bytes; k, m, g are powers of 1024)"),
                bad(List.of("--max-connections", "0"), Map.of(),
                        "FileServerMain: invalid --max-connections '0': expected a whole number from 1 to 2147483647"),
                bad(List.of("--idle-timeout", "-5s"), Map.of(),
                        "FileServerMain: invalid --idle-timeout '-5s': expected a positive duration (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--idle-timeout", "0s"), Map.of(),
                        "FileServerMain: invalid --idle-timeout '0s': expected a positive duration (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--request-head-timeout", "10"), Map.of(),
                        "FileServerMain: invalid --request-head-timeout '10': expected a positive duration (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--budget-wait-timeout", "9999999999h"), Map.of(),
                        "FileServerMain: invalid --budget-wait-timeout '9999999999h': expected a positive duration (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--min-rate-period", "-1s"), Map.of(),
                        "FileServerMain: invalid --min-rate-period '-1s': expected a duration of at least 0 (0 turns the check off) (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--root", root, "--drain-timeout", "30"), Map.of(),
                        "FileServerMain: invalid --drain-timeout '30': expected a duration of at least 0 (0 cuts responses in flight at once) (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_DRAIN_TIMEOUT", "-5s"),
                        "FileServerMain: invalid REACTIVE_MMAP_DRAIN_TIMEOUT (the environment variable of --drain-timeout) '-5s': expected a duration of at least 0 (0 cuts responses in flight at once) (a whole number with ms, s, m or h, such as 500ms, 30s, 5m)"),
                bad(List.of("--unknown"), Map.of(),
                        "FileServerMain: unknown option '--unknown' (FileServerMain --help lists the options)"),
                bad(List.of("serve"), Map.of(),
                        "FileServerMain: unexpected argument 'serve' (FileServerMain --help lists the options)"),
                bad(List.of("--port"), Map.of(),
                        "FileServerMain: --port needs a value: a port number, 0-65535 (0 picks a free one)"),
                bad(List.of("--root", root, "--window-size"), Map.of(),
                        "FileServerMain: --window-size needs a value: a size from 4k to 2147479551 (bytes; k, m, g are powers of 1024)"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_PORT", "http"),
                        "FileServerMain: invalid REACTIVE_MMAP_PORT (the environment variable of --port) 'http': expected a port number, 0-65535 (0 picks a free one)"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_TLS", "yes"),
                        "FileServerMain: invalid REACTIVE_MMAP_TLS (the environment variable of --tls) 'yes': expected true or false"),
                bad(List.of(), Map.of("REACTIVE_MMAP_ROOT", "/missing"),
                        "FileServerMain: invalid REACTIVE_MMAP_ROOT (the environment variable of --root) '/missing': no such directory"),
                bad(List.of("--root", root, "--cache-rule", "assets/[a-=no-cache"), Map.of(),
                        "FileServerMain: invalid --cache-rule 'assets/[a-=no-cache': not a glob: \"assets/[a-\" (Missing '] near index 10)"),
                bad(List.of("--root", root, "--cache-rule", "assets/**"), Map.of(),
                        "FileServerMain: invalid --cache-rule 'assets/**': expected GLOB=VALUE, such as 'assets/**=public, max-age=31536000, immutable'"),
                bad(List.of("--root", root, "--cache-control", "no cache"), Map.of(),
                        "FileServerMain: invalid --cache-control 'no cache': not a Cache-Control value (a comma-separated list of directives such as \"public, max-age=3600\"): \"no cache\""),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_CACHE_RULE", "a/**=max-age=1\nb/**=max-age=,"),
                        "FileServerMain: invalid REACTIVE_MMAP_CACHE_RULE (the environment variable of --cache-rule) 'b/**=max-age=,': not a Cache-Control value (a comma-separated list of directives such as \"public, max-age=3600\"): \"max-age=,\""),
                bad(List.of("--root", root, "--access-log", ""), Map.of(),
                        "FileServerMain: invalid --access-log '': expected stdout, stderr, logger, off, or a file to append to"),
                bad(List.of("--root", root, "--access-log"), Map.of(),
                        "FileServerMain: --access-log needs a value: stdout, stderr, logger, off, or a file to append to"),
                bad(List.of("--root", root, "--access-log", root), Map.of(),
                        "FileServerMain: invalid --access-log '" + root + "': it is a directory (name a file in it, such as "
                                + dir.resolve("access.log") + ")"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_ACCESS_LOG", root),
                        "FileServerMain: invalid REACTIVE_MMAP_ACCESS_LOG (the environment variable of --access-log) '" + root
                                + "': it is a directory (name a file in it, such as " + dir.resolve("access.log") + ")"),
                bad(List.of("--root", root, "--access-log", root + "/no/such/dir/access.log"), Map.of(),
                        "FileServerMain: invalid --access-log '" + root + "/no/such/dir/access.log': its directory "
                                + dir.resolve("no/such/dir") + " does not exist"),
                bad(List.of("--root", root, "--access-log", file + "/access.log"), Map.of(),
                        "FileServerMain: invalid --access-log '" + file + "/access.log': " + file
                                + " is a file, not a directory"),
                bad(List.of("--root", root, "--tls-cert", "chain.pem"), Map.of(),
                        "FileServerMain: --tls-cert needs --tls-key (the PEM private key): give both, or neither"),
                bad(List.of("--root", root, "--tls-key", "key.pem"), Map.of(),
                        "FileServerMain: --tls-key needs --tls-cert (the PEM certificate chain): give both, or neither"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_TLS_KEY", "key.pem"),
                        "FileServerMain: REACTIVE_MMAP_TLS_KEY (the environment variable of --tls-key) needs --tls-cert (the PEM certificate chain): give both, or neither"),
                bad(List.of("--root", root, "--tls", "--tls-cert", "chain.pem", "--tls-key", "key.pem"), Map.of(),
                        "FileServerMain: --tls (a self-signed development certificate) cannot be combined with --tls-cert: drop --tls, --tls-cert and --tls-key turn HTTPS on"),
                bad(List.of("--root", root, "--tls-cert", "chain.pem", "--tls-key", "key.pem"), Map.of("REACTIVE_MMAP_TLS", "true"),
                        "FileServerMain: REACTIVE_MMAP_TLS (the environment variable of --tls) (a self-signed development certificate) cannot be combined with --tls-cert: drop --tls, --tls-cert and --tls-key turn HTTPS on"),
                bad(List.of("--root", root, "--tls-cert", "", "--tls-key", "key.pem"), Map.of(),
                        "FileServerMain: invalid --tls-cert '': expected a PEM certificate chain file"),
                bad(List.of("--root", root, "--tls-cert", "chain.pem", "--tls-key", "key\0.pem"), Map.of(),
                        "FileServerMain: invalid --tls-key 'key\0.pem': expected a PEM private key file"),
                bad(List.of("--root", root, "--precompressed=maybe"), Map.of(),
                        "FileServerMain: invalid --precompressed 'maybe': expected true or false"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_PRECOMPRESSED", "gzip"),
                        "FileServerMain: invalid REACTIVE_MMAP_PRECOMPRESSED (the environment variable of --precompressed) 'gzip': expected true or false"),
                bad(List.of("--root", root, "--directory-listings=on"), Map.of(),
                        "FileServerMain: invalid --directory-listings 'on': expected true or false"),
                bad(List.of("--root", root), Map.of("REACTIVE_MMAP_DIRECTORY_LISTINGS", "yes"),
                        "FileServerMain: invalid REACTIVE_MMAP_DIRECTORY_LISTINGS (the environment variable of --directory-listings) 'yes': expected true or false"),
                bad(List.of("--root", root, "--tls", "--body-mode", "sendfile"), Map.of(),
                        "FileServerMain: bodyMode SENDFILE cannot be used with TLS (the TLS engine needs the bytes as buffers); use AUTO or MAPPED"));
    }

    private static Arguments bad(List<String> args, Map<String, String> env, String line) {
        return Arguments.of(String.join(" ", args) + (env.isEmpty() ? "" : " with " + env), args, env, line);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void aBadInputGivesOneLineAndExitCode2(String name, List<String> args, Map<String, String> env, String line) {
        FileServerCli.Exit exit = assertInstanceOf(FileServerCli.Exit.class, FileServerCli.parse(args.toArray(String[]::new), env));
        assertEquals(new FileServerCli.Exit(2, "", line), exit);
        assertEquals(1, exit.err().lines().count());
    }

    private static FileServerOptions parse(Map<String, String> env, String... args) {
        FileServerCli.Outcome outcome = FileServerCli.parse(args, env);
        return assertInstanceOf(FileServerCli.Serve.class, outcome, outcome::toString).options();
    }

    @Test
    void noArgumentsAreTheLibraryDefaultsServingTheCurrentDirectory() {
        assertEquals(FileServerOptions.defaults(Path.of("").toAbsolutePath()), parse(Map.of()));
        assertEquals(FileServerOptions.defaults(dir), parse(Map.of(), "--root", dir.toString()));
    }

    @Test
    void everyOptionReachesFileServerOptions() {
        FileServerOptions o = parse(Map.of(), "--root", dir.toString(), "--host", "0.0.0.0", "--port", "0", "--tls",
                "--body-mode", "MAPPED", "--window-size", "64K", "--max-bytes-in-flight", "1g", "--max-connections", "5",
                "--idle-timeout", "500ms", "--request-head-timeout", "2m", "--min-rate", "2k", "--min-rate-period", "0",
                "--max-ranges", "3", "--range-coalesce-gap", "1k", "--serve-hidden", "--follow-symlinks-outside",
                "--admin-port", "9090", "--admin-host", "::1", "--io-threads", "2", "--no-native-transport", "--no-http2", "--max-concurrent-streams", "7",
                "--max-bytes-in-flight-per-connection", "3m", "--max-windows-per-connection", "4",
                "--budget-wait-timeout", "1h", "--precompressed", "--directory-listings");
        FileServerOptions expected = FileServerOptions.builder(dir).host("0.0.0.0").port(0)
                .tls(io.reactivemmap.netty.http.TlsOptions.selfSigned()).bodyMode(BodyMode.MAPPED).windowSize(64 << 10)
                .maxBytesInFlight(1L << 30).maxConnections(5).idleTimeout(Duration.ofMillis(500))
                .requestHeadTimeout(Duration.ofMinutes(2)).minRate(2048).minRatePeriod(Duration.ZERO)
                .rangeLimits(new RangeLimits(3, 1024)).serveHidden(true).followSymlinksOutside(true).adminPort(9090).adminHost("::1")
                .ioThreads(2).preferNativeTransport(false).http2(false).maxConcurrentStreams(7)
                .maxBytesInFlightPerConnection(3L << 20).maxWindowsPerConnection(4).budgetWaitTimeout(Duration.ofHours(1))
                .precompressed(true).directoryListings(true).build();
        assertEquals(expected, o);
    }

    @Test
    void theDrainTimeoutIs30sByDefaultAndComesFromTheCommandLineOrTheEnvironment() {
        assertEquals(Duration.ofSeconds(30), serve(Map.of(), "--root", dir.toString()).drainTimeout());
        assertEquals(Duration.ofMillis(1500), serve(Map.of(), "--root", dir.toString(), "--drain-timeout", "1500ms").drainTimeout());
        assertEquals(Duration.ZERO, serve(Map.of(), "--root", dir.toString(), "--drain-timeout", "0").drainTimeout());
        assertEquals(Duration.ofMinutes(2), serve(Map.of("REACTIVE_MMAP_DRAIN_TIMEOUT", "2m"), "--root", dir.toString())
                .drainTimeout());
        assertEquals(FileServerCli.Serve.DEFAULT_DRAIN_TIMEOUT, new FileServerCli.Serve(FileServerOptions.defaults(dir))
                .drainTimeout());
    }

    private static FileServerCli.Serve serve(Map<String, String> env, String... args) {
        FileServerCli.Outcome outcome = FileServerCli.parse(args, env);
        return assertInstanceOf(FileServerCli.Serve.class, outcome, outcome::toString);
    }

    @Test
    void sizesTakeKmgSuffixesInAnyCaseAsPowersOf1024() {
        assertEquals(4096, parse(Map.of(), "--root", dir.toString(), "--window-size", "4096").windowSize());
        assertEquals(4096, parse(Map.of(), "--root", dir.toString(), "--window-size", "4k").windowSize());
        assertEquals(8 << 20, parse(Map.of(), "--root", dir.toString(), "--window-size", "8M").windowSize());
        assertEquals(1 << 30, parse(Map.of(), "--root", dir.toString(), "--window-size", "1g").windowSize());
        assertEquals(3L << 30, parse(Map.of(), "--root", dir.toString(), "--max-bytes-in-flight", "3G").maxBytesInFlight());
    }

    @Test
    void durationsTakeMsSMOrH() {
        assertEquals(Duration.ofMillis(500), parse(Map.of(), "--root", dir.toString(), "--idle-timeout", "500ms").idleTimeout());
        assertEquals(Duration.ofSeconds(30), parse(Map.of(), "--root", dir.toString(), "--idle-timeout", "30s").idleTimeout());
        assertEquals(Duration.ofMinutes(5), parse(Map.of(), "--root", dir.toString(), "--idle-timeout", "5M").idleTimeout());
        assertEquals(Duration.ofHours(2), parse(Map.of(), "--root", dir.toString(), "--idle-timeout", "2h").idleTimeout());
    }

    @Test
    void directoryListingsAreOffByDefaultAndComeFromTheFlagOrTheEnvironment() {
        assertEquals(false, parse(Map.of(), "--root", dir.toString()).directoryListings());
        assertEquals(true, parse(Map.of(), "--root", dir.toString(), "--directory-listings").directoryListings());
        assertEquals(true, parse(Map.of("REACTIVE_MMAP_DIRECTORY_LISTINGS", "true"), "--root", dir.toString())
                .directoryListings());
        assertEquals(false, parse(Map.of("REACTIVE_MMAP_DIRECTORY_LISTINGS", "true"), "--root", dir.toString(),
                "--directory-listings=false").directoryListings(), "the command line wins");
    }

    @Test
    void optionsComeFromTheEnvironmentAndTheCommandLineWins() {
        Map<String, String> env = Map.of("REACTIVE_MMAP_ROOT", dir.toString(), "REACTIVE_MMAP_PORT", "9000",
                "REACTIVE_MMAP_WINDOW_SIZE", "1m", "REACTIVE_MMAP_HTTP2", "false", "REACTIVE_MMAP_ADMIN_PORT", "0",
                "REACTIVE_MMAP_IDLE_TIMEOUT", "5m");
        FileServerOptions fromEnv = parse(env);
        assertEquals(dir, fromEnv.root());
        assertEquals(9000, fromEnv.port());
        assertEquals(1 << 20, fromEnv.windowSize());
        assertEquals(false, fromEnv.http2());
        assertEquals(0, fromEnv.adminPort());
        assertEquals(Duration.ofMinutes(5), fromEnv.idleTimeout());

        FileServerOptions both = parse(env, "--port", "9001", "--window-size=64k", "--http2");
        assertEquals(9001, both.port());
        assertEquals(64 << 10, both.windowSize());
        assertEquals(true, both.http2());
        assertEquals(dir, both.root()); // still from the environment

        // The command line wins even over a bad environment value, which is then never looked at.
        assertEquals(9002, parse(Map.of("REACTIVE_MMAP_PORT", "http", "REACTIVE_MMAP_ROOT", dir.toString()),
                "--port", "9002").port());
        assertEquals(false, parse(Map.of("REACTIVE_MMAP_NATIVE_TRANSPORT", "true", "REACTIVE_MMAP_ROOT", dir.toString()),
                "--no-native-transport").preferNativeTransport());
    }

    @Test
    void cacheOptionsBecomeCacheRulesFromTheCommandLineOrTheEnvironment() {
        CacheRules expected = CacheRules.builder().defaultCacheControl("no-cache")
                .rule("assets/**", "public, max-age=31536000, immutable").rule("*.html", "max-age=60").expires(true).build();
        assertEquals(expected, parse(Map.of(), "--root", dir.toString(), "--cache-control", "no-cache",
                "--cache-rule", "assets/**=public, max-age=31536000, immutable", "--cache-rule=*.html=max-age=60",
                "--expires").cacheRules());
        assertEquals(expected, parse(Map.of("REACTIVE_MMAP_ROOT", dir.toString(), "REACTIVE_MMAP_CACHE_CONTROL", "no-cache",
                "REACTIVE_MMAP_CACHE_RULE", "assets/**=public, max-age=31536000, immutable\n*.html=max-age=60",
                "REACTIVE_MMAP_EXPIRES", "true")).cacheRules());
        assertEquals(CacheRules.builder().rule("b/**", "no-store").build(), parse(Map.of("REACTIVE_MMAP_ROOT", dir.toString(),
                "REACTIVE_MMAP_CACHE_RULE", "a/**=max-age=1"), "--cache-rule", "b/**=no-store").cacheRules(),
                "the command line's rules replace the environment's");
        assertEquals(CacheRules.NONE, parse(Map.of(), "--root", dir.toString()).cacheRules());
    }

    @Test
    void theEnvironmentVariableOfAnOptionIsItsNameInUpperCase() {
        assertEquals("REACTIVE_MMAP_PORT", FileServerCli.envName("--port"));
        assertEquals("REACTIVE_MMAP_MAX_BYTES_IN_FLIGHT_PER_CONNECTION", FileServerCli.envName("--max-bytes-in-flight-per-connection"));
    }

    @Test
    void aRepeatedOptionTakesItsLastValue() {
        assertEquals(2, parse(Map.of(), "--root", dir.toString(), "--port", "1", "--port", "2").port());
    }

    /** Each option and the default {@code --help} must show for it. */
    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("--root", ".");
        m.put("--host", "127.0.0.1");
        m.put("--port", "8080");
        m.put("--tls", "false");
        m.put("--tls-cert", null); // none: no Default shown
        m.put("--tls-key", null);
        m.put("--body-mode", "auto");
        m.put("--window-size", "4m");
        m.put("--max-bytes-in-flight", "8m");
        m.put("--max-connections", "10000");
        m.put("--idle-timeout", "60s");
        m.put("--request-head-timeout", "10s");
        m.put("--min-rate", "1k");
        m.put("--min-rate-period", "30s");
        m.put("--max-ranges", "16");
        m.put("--range-coalesce-gap", "80");
        m.put("--serve-hidden", "false");
        m.put("--follow-symlinks-outside", "false");
        m.put("--admin-port", "off");
        m.put("--admin-host", "127.0.0.1");
        m.put("--io-threads", "0");
        m.put("--[no-]native-transport", "true");
        m.put("--[no-]http2", "true");
        m.put("--max-concurrent-streams", "100");
        m.put("--max-bytes-in-flight-per-connection", "32m");
        m.put("--max-windows-per-connection", "16");
        m.put("--budget-wait-timeout", "5s");
        m.put("--cache-control", null); // none: no Default shown
        m.put("--cache-rule", null);
        m.put("--expires", "false");
        m.put("--drain-timeout", "30s");
        m.put("--precompressed", "false");
        m.put("--directory-listings", "false");
        m.put("--access-log", "stdout");
        return m;
    }

    @Test
    void helpListsEveryOptionWithItsDefaultAndTheEnvironmentRule() {
        FileServerCli.Exit exit = assertInstanceOf(FileServerCli.Exit.class, FileServerCli.parse(new String[] {"--help"}, Map.of()));
        assertEquals(0, exit.code());
        assertEquals("", exit.err());
        String help = exit.out();
        // One entry per option: from its line in the option list to the next option's line.
        List<String> lines = help.lines().toList();
        List<String> entries = new ArrayList<>();
        StringBuilder entry = null;
        for (String l : lines) {
            if (l.matches("\\s{0,6}(-\\w, )?--.*")) {
                if (entry != null) {
                    entries.add(entry.toString());
                }
                entry = new StringBuilder(l.strip());
            } else if (entry != null && l.startsWith(" ".repeat(10))) {
                entry.append(' ').append(l.strip());
            } else if (entry != null) {
                entries.add(entry.toString());
                entry = null;
            }
        }
        for (Map.Entry<String, String> d : DEFAULTS.entrySet()) {
            List<String> of = entries.stream().filter(e -> e.startsWith(d.getKey() + " ") || e.startsWith(d.getKey() + "=")).toList();
            assertEquals(1, of.size(), d.getKey() + " in\n" + help);
            if (d.getValue() == null) {
                assertFalse(of.get(0).contains("Default:"), of.get(0));
            } else {
                assertTrue(of.get(0).endsWith("Default: " + d.getValue()), of.get(0));
            }
        }
        // ... and nothing else but --help and --version.
        assertEquals(DEFAULTS.size() + 2, entries.size(), String.join("\n", entries));
        assertTrue(help.contains("-h, --help") && help.contains("-V, --version"), help);
        String flat = help.replaceAll("\\s+", " ");
        assertTrue(flat.contains("REACTIVE_MMAP_ and the option's name in upper case, with '-' as '_'"), help);
        assertTrue(flat.contains("The command line wins over the environment."), help);
        assertTrue(flat.contains("Exit codes: 2 for bad usage"), help);
    }

    @Test
    void helpShowsAnEnvironmentValueAsTheDefault() {
        assertTrue(FileServerCli.usage(Map.of("REACTIVE_MMAP_PORT", "9000")).contains("Default: 9000"));
    }

    @Test
    void versionIsTheProjectVersion() {
        FileServerCli.Exit exit = assertInstanceOf(FileServerCli.Exit.class, FileServerCli.parse(new String[] {"--version"}, Map.of()));
        assertEquals(0, exit.code());
        assertEquals("", exit.err());
        assertTrue(exit.out().matches("FileServerMain \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(reactive-mmap file server; Java .+\\)"), exit.out());
    }

    @Test
    void aPortInUseGivesOneLineAndExitCode1() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            FileServerOptions options = parse(Map.of(), "--root", dir.toString(), "--port", Integer.toString(taken.getLocalPort()));
            IOException e = assertThrows(IOException.class, () -> FileServer.start(options).close());
            FileServerCli.Exit exit = FileServerCli.cannotStart(e);
            assertEquals(1, exit.code());
            assertEquals("", exit.out());
            assertEquals(1, exit.err().lines().count(), exit.err());
            assertTrue(exit.err().startsWith("FileServerMain: could not listen on 127.0.0.1:" + taken.getLocalPort()), exit.err());
            assertTrue(exit.err().contains("in use"), exit.err());
        }
    }

    @Test
    void anUnreadableRootGivesOneLineAndExitCode2() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        try {
            Files.setPosixFilePermissions(locked, java.util.Set.of());
            assumeFalse(Files.isReadable(locked), "running as root: every directory is readable");
            assertEquals(new FileServerCli.Exit(2, "", "FileServerMain: invalid --root '" + locked
                            + "': the directory cannot be read (permission denied)"),
                    FileServerCli.parse(new String[] {"--root", locked.toString()}, Map.of()));
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void tlsCertAndTlsKeyBecomeTlsOptionsWithAbsolutePaths() {
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(new io.reactivemmap.netty.http.TlsOptions(cwd.resolve("chain.pem"), dir.resolve("key.pem")),
                parse(Map.of(), "--root", dir.toString(), "--tls-cert", "chain.pem", "--tls-key",
                        dir.resolve("sub/../key.pem").toString()).tls());
        assertEquals(new io.reactivemmap.netty.http.TlsOptions(dir.resolve("both.pem"), dir.resolve("both.pem")),
                parse(Map.of("REACTIVE_MMAP_TLS_CERT", dir.resolve("both.pem").toString(),
                        "REACTIVE_MMAP_TLS_KEY", dir.resolve("both.pem").toString()), "--root", dir.toString()).tls());
        assertTrue(parse(Map.of(), "--root", dir.toString(), "--tls").tls().isSelfSigned());
        assertTrue(FileServerCli.usage(Map.of()).replaceAll("\\s+", " ")
                .contains("for development only (no client trusts it). For a real certificate give --tls-cert and --tls-key instead."));
    }

    @Test
    void aTlsFileThatCannotBeReadGivesOneLineNamingItAndExitCode1() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not PEM\n");
        FileServerOptions options = parse(Map.of(), "--root", dir.toString(), "--port", "0",
                "--tls-cert", dir.resolve("missing-chain.pem").toString(), "--tls-key", garbage.toString());
        IOException e = assertThrows(IOException.class, () -> FileServer.start(options).close());
        assertEquals(new FileServerCli.Exit(1, "", "FileServerMain: TLS certificate chain " + dir.resolve("missing-chain.pem")
                + ": no such file"), FileServerCli.cannotStart(e));
        Path chain = Files.writeString(dir.resolve("chain-without-certificate.pem"),
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        FileServerOptions noCertificate = parse(Map.of(), "--root", dir.toString(), "--port", "0",
                "--tls-cert", chain.toString(), "--tls-key", garbage.toString());
        FileServerCli.Exit exit = FileServerCli.cannotStart(assertThrows(IOException.class, () -> FileServer.start(noCertificate).close()));
        assertEquals(1, exit.code());
        assertEquals("FileServerMain: TLS certificate chain " + chain + ": no certificate in the file (expected "
                + "-----BEGIN CERTIFICATE----- blocks, the server's certificate first; found: PRIVATE KEY)", exit.err());
    }

    @Test
    void theAccessLogGoesToStdoutByDefaultOrWhereTheCommandLineOrTheEnvironmentSays() {
        assertEquals(FileServerCli.AccessLogTarget.STDOUT, serve(Map.of(), "--root", dir.toString()).accessLog());
        assertEquals(FileServerCli.AccessLogTarget.STDOUT, new FileServerCli.Serve(FileServerOptions.defaults(dir)).accessLog());
        for (FileServerCli.AccessLogTarget.Sink sink : List.of(FileServerCli.AccessLogTarget.Sink.STDOUT,
                FileServerCli.AccessLogTarget.Sink.STDERR, FileServerCli.AccessLogTarget.Sink.LOGGER,
                FileServerCli.AccessLogTarget.Sink.OFF)) {
            String name = sink.name().toLowerCase(java.util.Locale.ROOT);
            assertEquals(new FileServerCli.AccessLogTarget(sink, null),
                    serve(Map.of(), "--root", dir.toString(), "--access-log", name).accessLog(), name);
            assertEquals(sink, serve(Map.of(), "--root", dir.toString(), "--access-log", sink.name()).accessLog().sink(),
                    "any case");
        }
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.FILE, dir.resolve("access.log")),
                serve(Map.of("REACTIVE_MMAP_ACCESS_LOG", dir.resolve("sub/../access.log").toString()), "--root",
                        dir.toString()).accessLog(), "from the environment, absolute and normalized");
        assertEquals(new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.FILE, cwd.resolve("stdout")),
                serve(Map.of(), "--root", dir.toString(), "--access-log", "./stdout").accessLog(), "a file named stdout");
        assertEquals(new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.FILE, file),
                serve(Map.of("REACTIVE_MMAP_ACCESS_LOG", "off"), "--root", dir.toString(), "--access-log", file.toString())
                        .accessLog(), "an existing file is appended to; the command line wins");
        assertEquals(FileServerCli.AccessLogTarget.Sink.OFF, serve(Map.of("REACTIVE_MMAP_ACCESS_LOG", "off"), "--root",
                dir.toString()).accessLog().sink());
        String help = FileServerCli.usage(Map.of()).replaceAll("\\s+", " ");
        assertTrue(help.contains("stdout, the default, so that a container's log collector gets it"), help);
    }

    @Test
    void eachAccessLogTargetOpensItsSink() throws IOException {
        assertEquals(io.reactivemmap.netty.http.AccessLog.NONE,
                new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.OFF, null).open());
        assertEquals(io.reactivemmap.netty.http.AccessLog.SYSTEM_LOGGER,
                new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.LOGGER, null).open());
        Path log = dir.resolve("opened.log");
        try (var writer = (io.reactivemmap.netty.http.AccessLogWriter) new FileServerCli.AccessLogTarget(
                FileServerCli.AccessLogTarget.Sink.FILE, log).open()) {
            assertEquals(log.toString(), writer.name());
            writer.offer("a line");
        }
        assertEquals("a line\n", Files.readString(log));
        try (var writer = (io.reactivemmap.netty.http.AccessLogWriter) FileServerCli.AccessLogTarget.STDOUT.open()) {
            assertEquals("stdout", writer.name());
        }
        assertThrows(IllegalArgumentException.class,
                () -> new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.FILE, null));
        assertThrows(IllegalArgumentException.class,
                () -> new FileServerCli.AccessLogTarget(FileServerCli.AccessLogTarget.Sink.OFF, log));
    }

    @Test
    void anAccessLogFileThatCannotBeWrittenGivesOneLineAndExitCode2() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked-log"));
        Path readOnly = Files.writeString(dir.resolve("read-only.log"), "");
        try {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
            Files.setPosixFilePermissions(readOnly, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
            assumeFalse(Files.isWritable(locked), "running as root: every file is writable");
            assertEquals(new FileServerCli.Exit(2, "", "FileServerMain: invalid --access-log '" + locked.resolve("a.log")
                            + "': it cannot be created: its directory " + locked + " cannot be written (permission denied)"),
                    FileServerCli.parse(new String[] {"--root", dir.toString(), "--access-log", locked.resolve("a.log").toString()},
                            Map.of()));
            assertEquals(new FileServerCli.Exit(2, "", "FileServerMain: invalid --access-log '" + readOnly
                            + "': the file cannot be written (permission denied)"),
                    FileServerCli.parse(new String[] {"--root", dir.toString(), "--access-log", readOnly.toString()}, Map.of()));
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            Files.setPosixFilePermissions(readOnly, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void theServersOwnLogsGetAOneLineFormatUnlessTheUserConfiguredLogging() {
        java.util.Properties none = new java.util.Properties();
        assertTrue(FileServerCli.oneLineLogs(none));
        assertEquals(FileServerCli.LOG_FORMAT, none.getProperty("java.util.logging.SimpleFormatter.format"));
        for (String own : List.of("java.util.logging.config.file", "java.util.logging.config.class",
                "java.util.logging.SimpleFormatter.format")) {
            java.util.Properties p = new java.util.Properties();
            p.setProperty(own, "theirs");
            assertFalse(FileServerCli.oneLineLogs(p), own);
            assertEquals(java.util.Map.of(own, "theirs"), p, "left as the user gave it: " + own);
        }
        // what the format makes of a warning: one line with time, level, logger and message
        String key = "java.util.logging.SimpleFormatter.format";
        String old = System.getProperty(key);
        System.setProperty(key, FileServerCli.LOG_FORMAT);
        try {
            java.util.logging.LogRecord r = new java.util.logging.LogRecord(java.util.logging.Level.WARNING,
                    "could not start the body of /srv/a.bin");
            r.setLoggerName("io.reactivemmap.netty.http.FileRequestHandler");
            String formatted = new java.util.logging.SimpleFormatter().format(r);
            assertTrue(formatted.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4} WARNING "
                    + "io\\.reactivemmap\\.netty\\.http\\.FileRequestHandler: could not start the body of /srv/a\\.bin"
                    + System.lineSeparator()), formatted);
            assertEquals(1, formatted.lines().count(), formatted);
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    @Test
    void withoutTlsTheServerIsPlainHttp() {
        assertNull(parse(Map.of(), "--root", dir.toString()).tls());
    }
}
