package io.reactivemmap.netty.http;

import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link TlsOptions} with the PEM files operators have, made by {@code openssl} in a temporary folder: a test root CA,
 * an intermediate, RSA and EC server certificates signed by the intermediate, and their keys in every form OpenSSL
 * writes. Each good pair starts a real {@link FileServer}; a JDK client that trusts only the test root completes the
 * handshake (so the server must send the intermediate) and a GET. Each bad file must fail {@link FileServer#start}
 * with one line naming the file and the problem.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(120)
class TlsCertificateFilesTest {
    static final int SIZE = 100_000;

    @TempDir
    static Path pki;
    static String openssl;
    static X509Certificate rsaLeaf;
    static X509Certificate ecLeaf;
    static X509Certificate intermediate;
    static SSLContext trustsTestRoot;

    @BeforeAll
    static void makeKeysAndCertificates() throws Exception {
        openssl = Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")), Stream.of("/usr/bin"))
                .map(d -> Path.of(d, "openssl")).filter(Files::isExecutable).map(Path::toString).findFirst().orElse(null);
        assumeTrue(openssl != null, "openssl is not installed (not on PATH, not /usr/bin/openssl): the PEM files of "
                + "these tests are made by it");
        Files.writeString(pki.resolve("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
        Files.writeString(pki.resolve("leaf.ext"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        // The CA keys are EC: quick to make, and the RSA server certificate is then signed with ECDSA, which the
        // client checks as well.
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "root.key");
        run("req", "-new", "-key", "root.key", "-subj", "/CN=reactive-mmap test root", "-out", "root.csr");
        run("x509", "-req", "-in", "root.csr", "-signkey", "root.key", "-days", "2", "-extfile", "ca.ext", "-out", "root.pem");
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "intermediate.key");
        run("req", "-new", "-key", "intermediate.key", "-subj", "/CN=reactive-mmap test intermediate", "-out", "intermediate.csr");
        run("x509", "-req", "-in", "intermediate.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "2",
                "-days", "2", "-extfile", "ca.ext", "-out", "intermediate.pem");

        run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa-pkcs8.key");
        run("rsa", "-in", "rsa-pkcs8.key", "-traditional", "-out", "rsa-pkcs1.key");
        leafCertificate("rsa-pkcs8.key", "rsa", 3);
        // ecparam -genkey writes BEGIN EC PARAMETERS, then BEGIN EC PRIVATE KEY (SEC1)
        run("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec-sec1-with-parameters.key");
        run("ec", "-in", "ec-sec1-with-parameters.key", "-out", "ec-sec1.key");
        run("pkey", "-in", "ec-sec1-with-parameters.key", "-out", "ec-pkcs8.key");
        leafCertificate("ec-pkcs8.key", "ec", 4);

        run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other-rsa.key");
        run("genpkey", "-algorithm", "ED25519", "-out", "ed25519.key");
        run("pkey", "-in", "rsa-pkcs8.key", "-aes256", "-passout", "pass:secret", "-out", "encrypted-pkcs8.key");
        run("rsa", "-in", "rsa-pkcs8.key", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "encrypted-pkcs1.key");
        concat("combined.pem", "rsa-pkcs8.key", "rsa.pem", "intermediate.pem");
        concat("wrong-order-chain.pem", "intermediate.pem", "rsa.pem");
        Files.writeString(pki.resolve("garbage.pem"), "this is not a PEM file\n");
        String rsaKey = Files.readString(pki.resolve("rsa-pkcs8.key"));
        int body = rsaKey.indexOf('\n') + 10;
        Files.writeString(pki.resolve("bad-base64.key"), rsaKey.substring(0, body) + "*" + rsaKey.substring(body + 1));
        Files.writeString(pki.resolve("bad-der.key"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getEncoder().encodeToString("not DER at all".getBytes(StandardCharsets.US_ASCII))
                + "\n-----END PRIVATE KEY-----\n");
        Files.writeString(pki.resolve("bad-certificate.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getEncoder().encodeToString("not a certificate".getBytes(StandardCharsets.US_ASCII))
                + "\n-----END CERTIFICATE-----\n");
        Files.writeString(pki.resolve("unterminated.key"), rsaKey.substring(0, rsaKey.indexOf("-----END")));
        Files.writeString(pki.resolve("openssh.key"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                + "-----END OPENSSH PRIVATE KEY-----\n");

        rsaLeaf = certificate("rsa.pem");
        ecLeaf = certificate("ec.pem");
        intermediate = certificate("intermediate.pem");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", certificate("root.pem"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trustsTestRoot = SSLContext.getInstance("TLS");
        trustsTestRoot.init(null, tmf.getTrustManagers(), null);
    }

    /** {@code name.pem}: a certificate for localhost signed by the intermediate, and {@code name-chain.pem}. */
    private static void leafCertificate(String key, String name, int serial) throws Exception {
        run("req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", name + ".csr");
        run("x509", "-req", "-in", name + ".csr", "-CA", "intermediate.pem", "-CAkey", "intermediate.key",
                "-set_serial", Integer.toString(serial), "-days", "2", "-extfile", "leaf.ext", "-out", name + ".pem");
        concat(name + "-chain.pem", name + ".pem", "intermediate.pem");
    }

    private static void run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(openssl));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(pki.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            fail("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }

    private static void concat(String target, String... sources) throws IOException {
        StringBuilder s = new StringBuilder();
        for (String source : sources) {
            s.append(Files.readString(pki.resolve(source)));
        }
        Files.writeString(pki.resolve(target), s);
    }

    private static X509Certificate certificate(String file) throws Exception {
        try (InputStream in = Files.newInputStream(pki.resolve(file))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static Stream<Arguments> goodPairs() {
        return Stream.of(
                Arguments.of("RSA 2048, PKCS#8", "rsa-chain.pem", "rsa-pkcs8.key", "RSA"),
                Arguments.of("RSA 2048, PKCS#1 (BEGIN RSA PRIVATE KEY)", "rsa-chain.pem", "rsa-pkcs1.key", "RSA"),
                Arguments.of("EC P-256, PKCS#8", "ec-chain.pem", "ec-pkcs8.key", "EC"),
                Arguments.of("EC P-256, SEC1 (BEGIN EC PRIVATE KEY)", "ec-chain.pem", "ec-sec1.key", "EC"),
                Arguments.of("EC P-256, SEC1 after BEGIN EC PARAMETERS", "ec-chain.pem", "ec-sec1-with-parameters.key", "EC"),
                Arguments.of("key and chain in one file, given as both", "combined.pem", "combined.pem", "RSA"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goodPairs")
    void servesOverTlsWithTheGivenChainAndKey(String name, String chain, String key, String algorithm, @TempDir Path dir)
            throws Exception {
        TestFiles.pattern(dir, "data.bin", SIZE);
        X509Certificate leaf = algorithm.equals("RSA") ? rsaLeaf : ecLeaf;
        FileServerOptions options = FileServerOptions.defaults(dir).withPort(0).withIoThreads(1)
                .withTls(new TlsOptions(pki.resolve(chain), pki.resolve(key)));
        for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
            try (FileServer server = FileServer.start(options);
                 HttpClient client = HttpClient.newBuilder().sslContext(trustsTestRoot).version(version).build()) {
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + server.port() + "/data.bin")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode());
                assertEquals(version, r.version(), "h2 by ALPN, or HTTP/1.1 when asked for");
                assertArrayEquals(TestFiles.expected(0, SIZE), r.body());
                SSLSession session = r.sslSession().orElseThrow();
                Certificate[] served = session.getPeerCertificates();
                assertArrayEquals(new Certificate[] {leaf, intermediate}, served,
                        "the server sends its certificate, then the intermediate");
                assertEquals(algorithm, served[0].getPublicKey().getAlgorithm());
            }
        }
    }

    static Stream<Arguments> badFiles() {
        return Stream.of(
                bad("a key that is not the certificate's", "rsa-chain.pem", "other-rsa.key", "other-rsa.key",
                        "does not match the certificate in", "rsa-chain.pem", "CN=localhost"),
                bad("an EC key for an RSA certificate", "rsa-chain.pem", "ec-pkcs8.key", "ec-pkcs8.key",
                        "does not match the certificate", "the key is EC"),
                bad("the intermediate before the server's certificate", "wrong-order-chain.pem", "rsa-pkcs8.key",
                        "rsa-pkcs8.key", "belongs to certificate 2 of", "put the server's certificate first"),
                bad("an encrypted PKCS#8 key", "rsa-chain.pem", "encrypted-pkcs8.key", "encrypted-pkcs8.key",
                        "is encrypted (BEGIN ENCRYPTED PRIVATE KEY)", "openssl pkey -in"),
                bad("an encrypted PKCS#1 key", "rsa-chain.pem", "encrypted-pkcs1.key", "encrypted-pkcs1.key",
                        "is encrypted (Proc-Type: 4,ENCRYPTED)", "openssl pkey -in"),
                bad("a garbage key file", "rsa-chain.pem", "garbage.pem", "garbage.pem", "TLS private key",
                        "not a PEM file"),
                bad("a garbage certificate file", "garbage.pem", "rsa-pkcs8.key", "garbage.pem", "TLS certificate chain",
                        "not a PEM file"),
                bad("a key file given as the chain", "rsa-pkcs8.key", "rsa-pkcs8.key", "rsa-pkcs8.key",
                        "TLS certificate chain", "no certificate in the file", "found: PRIVATE KEY"),
                bad("a certificate file given as the key", "rsa-chain.pem", "rsa-chain.pem", "rsa-chain.pem",
                        "TLS private key", "no private key in the file", "found: CERTIFICATE"),
                bad("a missing certificate file", "missing.pem", "rsa-pkcs8.key", "missing.pem", "no such file"),
                bad("a missing key file", "rsa-chain.pem", "missing.key", "missing.key", "no such file"),
                bad("a directory as the key", "rsa-chain.pem", ".", "TLS private key", "is a directory"),
                bad("an Ed25519 key", "rsa-chain.pem", "ed25519.key", "ed25519.key",
                        "unsupported key type (algorithm OID 1.3.101.112, Ed25519)", "expected an RSA or EC key"),
                bad("an OpenSSH key", "rsa-chain.pem", "openssh.key", "openssh.key",
                        "unsupported key type (BEGIN OPENSSH PRIVATE KEY)"),
                bad("malformed base64", "rsa-chain.pem", "bad-base64.key", "bad-base64.key", "line 1", "not valid base64"),
                bad("malformed DER", "rsa-chain.pem", "bad-der.key", "bad-der.key", "line 1", "is not valid DER"),
                bad("a certificate block that is not a certificate", "bad-certificate.pem", "rsa-pkcs8.key",
                        "bad-certificate.pem", "the certificate at line 1 is not a valid X.509 certificate"),
                bad("a block with no END line", "rsa-chain.pem", "unterminated.key", "unterminated.key",
                        "no matching -----END PRIVATE KEY----- line"));
    }

    private static Arguments bad(String name, String chain, String key, String... fragments) {
        return Arguments.of(name, chain, key, List.of(fragments));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void aBadFileFailsStartWithOneLineNamingTheFileAndTheProblem(String name, String chain, String key,
                                                                  List<String> fragments, @TempDir Path dir) {
        FileServerOptions options = FileServerOptions.defaults(dir).withPort(0).withIoThreads(1)
                .withTls(new TlsOptions(pki.resolve(chain), pki.resolve(key)));
        IOException e = assertThrows(IOException.class, () -> FileServer.start(options).close());
        String message = e.getMessage();
        assertEquals(1, message.lines().count(), message);
        String file = fragments.get(0).contains(".") && !fragments.get(0).contains(" ") ? fragments.get(0) : null;
        if (file != null) {
            assertTrue(message.contains(pki.resolve(file).toString()), () -> "names " + file + ": " + message);
        } else {
            assertTrue(message.contains(pki.toString()), () -> "names the file: " + message);
        }
        for (String f : fragments.subList(file != null ? 1 : 0, fragments.size())) {
            assertTrue(message.contains(f), () -> "says '" + f + "': " + message);
        }
        assertFalse(message.contains("Exception"), () -> "no exception class names: " + message);
    }

    @Test
    void derWrappingOfTraditionalKeysGivesTheSameKeyAsOpensslsPkcs8() throws Exception {
        assertArrayEquals(PemFiles.privateKey(pki.resolve("rsa-pkcs8.key")).getEncoded(),
                PemFiles.privateKey(pki.resolve("rsa-pkcs1.key")).getEncoded());
        // EC: the same secret on the same curve (openssl's PKCS#8 drops the SEC1 parameters field, the wrapping keeps it)
        ECPrivateKey ec = (ECPrivateKey) PemFiles.privateKey(pki.resolve("ec-pkcs8.key"));
        for (String sec1 : List.of("ec-sec1.key", "ec-sec1-with-parameters.key")) {
            ECPrivateKey wrapped = (ECPrivateKey) PemFiles.privateKey(pki.resolve(sec1));
            assertEquals(ec.getS(), wrapped.getS(), sec1);
            assertEquals(ec.getParams().toString(), wrapped.getParams().toString(), sec1);
        }
    }

    @Test
    void aSec1KeyWithoutParametersTakesItsCurveFromTheEcParametersBlock(@TempDir Path dir) throws Exception {
        // openssl always writes the [0] parameters into SEC1; other tools leave them to the EC PARAMETERS block.
        List<PemFiles.Block> blocks = PemFiles.read(pki.resolve("ec-sec1.key"), "private key");
        PemFiles.Der.Reader sec1 = PemFiles.Der.Reader.sequence(blocks.get(0).der());
        byte[] version = sec1.next(0x02);
        byte[] secret = sec1.next(0x04);
        byte[] curve = sec1.next(0xA0);
        byte[] publicKey = sec1.next(0xA1);
        byte[] withoutParameters = PemFiles.Der.encode(0x30, PemFiles.Der.concat(PemFiles.Der.encode(0x02, version),
                PemFiles.Der.encode(0x04, secret), PemFiles.Der.encode(0xA1, publicKey)));
        String key = "-----BEGIN EC PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(withoutParameters)
                + "\n-----END EC PRIVATE KEY-----\n";
        Path noCurve = Files.writeString(dir.resolve("no-curve.key"), key);
        Path withBlock = Files.writeString(dir.resolve("curve-in-block.key"), "-----BEGIN EC PARAMETERS-----\n"
                + Base64.getEncoder().encodeToString(curve) + "\n-----END EC PARAMETERS-----\n" + key);
        ECPrivateKey expected = (ECPrivateKey) PemFiles.privateKey(pki.resolve("ec-pkcs8.key"));
        ECPrivateKey read = (ECPrivateKey) PemFiles.privateKey(withBlock);
        assertEquals(expected.getS(), read.getS());
        assertEquals(expected.getParams().toString(), read.getParams().toString());
        IOException e = assertThrows(IOException.class, () -> PemFiles.privateKey(noCurve));
        assertEquals("TLS private key " + noCurve + ": the EC key names no curve (no parameters in the key and no BEGIN "
                + "EC PARAMETERS block); put the curve's block before the key (openssl ecparam -name prime256v1, or the "
                + "key's curve)", e.getMessage());
    }

    @Test
    void theChainKeepsItsOrderAndSkipsTheKeyInACombinedFile() throws Exception {
        assertArrayEquals(new X509Certificate[] {rsaLeaf, intermediate}, PemFiles.certificateChain(pki.resolve("combined.pem")));
    }

    @Test
    void derEncodingOfObjectIdentifiersRoundTrips() {
        for (String oid : List.of("1.2.840.113549.1.1.1", "1.2.840.10045.2.1", "1.2.840.10045.3.1.7", "1.3.132.0.34",
                "2.999.1")) {
            assertEquals(oid, PemFiles.Der.oid(PemFiles.Der.encodeOid(oid)));
        }
        assertArrayEquals(new byte[] {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01},
                PemFiles.Der.encodeOid("1.2.840.10045.2.1"));
        byte[] big = new byte[300];
        byte[] encoded = PemFiles.Der.encode(0x04, big);
        assertArrayEquals(new byte[] {0x04, (byte) 0x82, 0x01, 0x2C}, Arrays.copyOf(encoded, 4));
        assertArrayEquals(big, new PemFiles.Der.Reader(encoded).next(0x04));
    }
}
