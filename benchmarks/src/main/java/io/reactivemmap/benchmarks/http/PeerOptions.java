package io.reactivemmap.benchmarks.http;

import org.jspecify.annotations.Nullable;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Command line shared by the peer servers:
 * {@code --root DIR [--host 127.0.0.1] --port N [--tls --cert CERT.pem --key KEY.pem]}.
 *
 * <p>The certificate and the PKCS#8 key are PEM files generated once per run by {@code benchmarks/http/run.sh}; every
 * TLS server of the run (nginx, each Java peer, ours) uses the same ones, the Java peers with the JDK TLS provider.
 *
 * @param root the directory whose regular files are served
 * @param host the address to bind (the script passes 127.0.0.1 only)
 * @param port the TCP port
 * @param tls whether to serve HTTPS
 * @param cert the PEM certificate chain, present when {@code tls}
 * @param key the PEM PKCS#8 private key, present when {@code tls}
 */
public record PeerOptions(Path root, String host, int port, boolean tls, @Nullable Path cert, @Nullable Path key) {

    /** Parses the arguments or throws {@link IllegalArgumentException} saying which flag to fix. */
    public static PeerOptions parse(String name, String[] args) {
        Path root = null;
        String host = "127.0.0.1";
        int port = -1;
        boolean tls = false;
        Path cert = null;
        Path key = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(value(args, ++i, "--root"));
                case "--host" -> host = value(args, ++i, "--host");
                case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
                case "--tls" -> tls = true;
                case "--cert" -> cert = Path.of(value(args, ++i, "--cert"));
                case "--key" -> key = Path.of(value(args, ++i, "--key"));
                default -> throw new IllegalArgumentException(name + ": unknown argument '" + args[i]
                        + "' (expected: --root DIR [--host ADDR] --port N [--tls --cert CERT.pem --key KEY.pem])");
            }
        }
        if (root == null || !Files.isDirectory(root)) {
            throw new IllegalArgumentException(name + ": --root must name an existing directory, got " + root);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + ": --port must be in 1-65535, got " + port);
        }
        if (tls && (cert == null || key == null || !Files.isRegularFile(cert) || !Files.isRegularFile(key))) {
            throw new IllegalArgumentException(name + ": --tls needs --cert and --key naming PEM files, got cert="
                    + cert + " key=" + key);
        }
        return new PeerOptions(root.toAbsolutePath().normalize(), host, port, tls, cert, key);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    /**
     * Resolves a request target to a regular file under {@link #root()}, or empty for anything else (404).
     * Minimal on purpose (the peers serve a benchmark folder on loopback): strips the query, decodes once, and
     * refuses dot segments, backslashes, NUL and files outside the root after following links.
     */
    public Optional<Path> resolve(String uri) {
        int q = uri.indexOf('?');
        String raw = q >= 0 ? uri.substring(0, q) : uri;
        String path;
        try {
            path = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!path.startsWith("/") || path.contains("\\") || path.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        for (String element : path.split("/")) {
            if (element.equals("..") || element.equals(".")) {
                return Optional.empty();
            }
        }
        Path file = root.resolve(path.substring(1)).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(file);
    }

    /** The URL a client uses, printed by each peer when it is ready. */
    public String url() {
        return (tls ? "https" : "http") + "://" + host + ":" + port + "/";
    }
}
