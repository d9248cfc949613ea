package io.reactivemmap.netty.http;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

import javax.net.ssl.KeyManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Builds the server's {@link SslContext} with the JDK provider, from the PEM files {@link PemFiles} reads or from a
 * self-signed certificate.
 *
 * <p>Self-signed certificates come from the running JDK's {@code keytool}: Netty's {@code SelfSignedCertificate}
 * needs BouncyCastle or JDK-internal classes ({@code sun.security.x509}) that JDK 25 does not export, and adding
 * BouncyCastle to every user's class path for a development convenience is not worth it.
 */
final class ServerTls {
    private ServerTls() {
    }

    static SslContext context(TlsOptions tls) throws IOException, GeneralSecurityException {
        return context(tls, false);
    }

    /**
     * @param http2 offer {@code h2} and {@code http/1.1} in ALPN (the JDK provider supports it), and restrict the cipher
     *              suites to those HTTP/2 allows (RFC 9113 §9.2.2: no CBC suites for TLS 1.2; TLS 1.3 suites are all
     *              allowed); a client that offers no ALPN gets HTTP/1.1
     */
    static SslContext context(TlsOptions tls, boolean http2) throws IOException, GeneralSecurityException {
        SslContextBuilder builder;
        if (tls.isSelfSigned()) {
            builder = SslContextBuilder.forServer(selfSignedKeyManager());
        } else {
            // Parsed here rather than by SslContextBuilder.forServer(File, File), which reads unencrypted PKCS#8
            // only and says little about what is wrong: PemFiles takes the traditional forms too, and every
            // problem (and a key that is not the certificate's) is one line naming the file.
            Path chainFile = Objects.requireNonNull(tls.certificateChain());
            Path keyFile = Objects.requireNonNull(tls.privateKey());
            X509Certificate[] chain = PemFiles.certificateChain(chainFile);
            PrivateKey key = PemFiles.privateKey(keyFile);
            PemFiles.checkKeyMatches(key, keyFile, chain, chainFile);
            builder = SslContextBuilder.forServer(key, chain);
        }
        builder.sslProvider(SslProvider.JDK);
        if (http2) {
            builder.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
        }
        return builder.build();
    }

    /** Generates an EC P-256 key and a certificate for localhost/127.0.0.1, valid 30 days, in a throwaway PKCS#12 store. */
    static KeyManagerFactory selfSignedKeyManager() throws IOException, GeneralSecurityException {
        Path dir = Files.createTempDirectory("reactive-mmap-tls");
        Path store = dir.resolve("self-signed.p12");
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        String password = HexFormat.of().formatHex(random);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "30", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass:env", "RMMAP_STOREPASS", "-keypass:env", "RMMAP_STOREPASS", "-noprompt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("RMMAP_STOREPASS", password); // never on the command line, where ps would show it
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("could not generate a self-signed certificate with " + keytool + ": "
                        + new String(out, StandardCharsets.UTF_8).strip()
                        + "; pass a certificate and key (TlsOptions(certificateChain, privateKey)) instead");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, password.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password.toCharArray());
            return kmf;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating a self-signed certificate", e);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(dir);
        }
    }
}
