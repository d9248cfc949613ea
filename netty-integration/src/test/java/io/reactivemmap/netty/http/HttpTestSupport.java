package io.reactivemmap.netty.http;

import javax.net.ssl.KeyManagerFactory;
import java.nio.file.Path;
import java.util.List;

/**
 * The fixtures of this package's server tests, for the tests of other front ends in other packages (the Reactor Netty
 * route): the same tree of traps, the same traversal corpus, the same self-signed certificate.
 */
public final class HttpTestSupport {
    private HttpTestSupport() {
    }

    /** The request targets {@link RequestPath#parse} must reject (see {@code RequestPathTest}). */
    public static final List<String> REJECTED_TARGETS = RequestPathTest.REJECTED;

    /** Builds the tree of {@code RootDirectoryTest#build} under {@code dir} and returns its root, {@code dir/static}. */
    public static Path trapTree(Path dir) throws Exception {
        return RootDirectoryTest.build(dir);
    }

    /** A client context that trusts any certificate (the servers' are self-signed); see {@code TlsServerTest}. */
    public static javax.net.ssl.SSLContext trustAll() throws java.security.GeneralSecurityException {
        return TlsServerTest.trustAll();
    }

    /** A key manager with a self-signed certificate for localhost, made by keytool (as {@code TlsOptions.selfSigned()}). */
    public static KeyManagerFactory selfSignedKeyManager() throws Exception {
        return ServerTls.selfSignedKeyManager();
    }
}
