package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the PEM files operators have: a certificate chain (leaf first, then intermediates) and an RSA or EC private
 * key in PKCS#8 ({@code BEGIN PRIVATE KEY}) or in the traditional forms OpenSSL writes, PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) and SEC1 ({@code BEGIN EC PRIVATE KEY}, with or without a {@code BEGIN EC PARAMETERS}
 * block before it). One file may hold both the key and the chain.
 *
 * <p>The JDK only: {@link KeyFactory} reads PKCS#8, so PKCS#1 and SEC1 keys are wrapped into a PKCS#8
 * {@code PrivateKeyInfo} (RFC 5208) by the few lines of DER below, the SEC1 curve taken from the key's parameters
 * field or the {@code EC PARAMETERS} block. No BouncyCastle on every user's class path for this.
 *
 * <p>Every failure is an {@link IOException} whose message is one line naming the file and what is wrong with it.
 */
final class PemFiles {
    private static final String RSA_OID = "1.2.840.113549.1.1.1";
    private static final String EC_OID = "1.2.840.10045.2.1";
    /** The decrypt command for encrypted keys; {@code %s} is the key file. */
    private static final String DECRYPT = "decrypt it first (openssl pkey -in %s -out plain.pem) and give the plain key";

    private PemFiles() {
    }

    /** One {@code -----BEGIN type-----} ... {@code -----END type-----} block. */
    record Block(String type, List<String> headers, byte[] der, int line) {
    }

    /** The certificates of {@code file} in their order (the server's own first), ignoring any other block. */
    static X509Certificate[] certificateChain(Path file) throws IOException {
        List<Block> blocks = read(file, "certificate chain");
        List<X509Certificate> chain = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IOException("TLS certificate chain " + file + ": the JDK has no X.509 certificate factory", e);
        }
        for (Block b : blocks) {
            if (b.type().equals("CERTIFICATE") || b.type().equals("X509 CERTIFICATE")) {
                try {
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
                } catch (CertificateException | ClassCastException e) {
                    throw new IOException("TLS certificate chain " + file + ": the certificate at line " + b.line()
                            + " is not a valid X.509 certificate (" + oneLine(e) + ")", e);
                }
            }
        }
        if (chain.isEmpty()) {
            throw new IOException("TLS certificate chain " + file + ": no certificate in the file (expected -----BEGIN "
                    + "CERTIFICATE----- blocks, the server's certificate first" + found(blocks) + ")");
        }
        return chain.toArray(X509Certificate[]::new);
    }

    /** The one private key of {@code file}, ignoring certificates (a file may hold both). */
    static PrivateKey privateKey(Path file) throws IOException {
        List<Block> blocks = read(file, "private key");
        Block key = null;
        byte @Nullable [] curve = null; // the OID of an EC PARAMETERS block, for a SEC1 key without parameters
        for (Block b : blocks) {
            switch (b.type()) {
                case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
                    if (key != null) {
                        throw new IOException("TLS private key " + file + ": more than one private key (lines " + key.line()
                                + " and " + b.line() + "); give a file with the server's key only");
                    }
                    key = b;
                }
                case "EC PARAMETERS" -> curve = b.der();
                case "ENCRYPTED PRIVATE KEY" -> throw new IOException("TLS private key " + file
                        + ": the key is encrypted (BEGIN ENCRYPTED PRIVATE KEY); " + DECRYPT.formatted(file));
                default -> {
                    // certificates and anything else: a combined file holds both
                }
            }
        }
        if (key == null) {
            List<String> unsupported = blocks.stream().map(Block::type).filter(t -> t.endsWith("PRIVATE KEY")).toList();
            if (!unsupported.isEmpty()) {
                throw new IOException("TLS private key " + file + ": unsupported key type (BEGIN " + unsupported.get(0)
                        + "); expected an RSA or EC key as BEGIN PRIVATE KEY (PKCS#8), BEGIN RSA PRIVATE KEY or "
                        + "BEGIN EC PRIVATE KEY");
            }
            throw new IOException("TLS private key " + file + ": no private key in the file (expected -----BEGIN PRIVATE "
                    + "KEY-----, -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----" + found(blocks) + ")");
        }
        for (String h : key.headers()) {
            if (h.startsWith("Proc-Type:") && h.contains("ENCRYPTED")) {
                throw new IOException("TLS private key " + file + ": the key is encrypted (Proc-Type: 4,ENCRYPTED); "
                        + DECRYPT.formatted(file));
            }
        }
        try {
            return switch (key.type()) {
                case "RSA PRIVATE KEY" -> decode(file, "RSA", pkcs8(RSA_OID, Der.encode(0x05, new byte[0]), checkedSequence(key.der())));
                case "EC PRIVATE KEY" -> decode(file, "EC", pkcs8(EC_OID, Der.encode(0x06, ecCurve(file, key.der(), curve)),
                        key.der()));
                default -> decode(file, pkcs8Algorithm(file, key.der()), key.der());
            };
        } catch (Der.Malformed e) {
            throw new IOException("TLS private key " + file + ": the key at line " + key.line() + " is not valid DER ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * Checks that {@code key} is the private half of {@code chain[0]}'s public key: it signs a random challenge that
     * the certificate's public key must verify. A key that matches a later certificate gets a message saying to put
     * the server's certificate first.
     */
    static void checkKeyMatches(PrivateKey key, Path keyFile, X509Certificate[] chain, Path chainFile) throws IOException {
        if (matches(key, chain[0].getPublicKey())) {
            return;
        }
        for (int i = 1; i < chain.length; i++) {
            if (matches(key, chain[i].getPublicKey())) {
                throw new IOException("TLS private key " + keyFile + " belongs to certificate " + (i + 1) + " of "
                        + chainFile + " (" + chain[i].getSubjectX500Principal().getName() + "), not to the first one: "
                        + "put the server's certificate first, then the intermediates");
            }
        }
        throw new IOException("TLS private key " + keyFile + " does not match the certificate in " + chainFile + " ("
                + chain[0].getSubjectX500Principal().getName() + ", " + chain[0].getPublicKey().getAlgorithm()
                + " public key; the key is " + key.getAlgorithm() + "): give the key the certificate was issued for");
    }

    private static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a key on another curve, for one: not this certificate's key
        }
    }

    /** The file's PEM blocks; text between blocks (openssl's "Bag Attributes", {@code x509 -text}) is skipped. */
    static List<Block> read(Path file, String what) throws IOException {
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw new IOException("TLS " + what + " " + file + ": is a directory, not a PEM file");
            }
            text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new IOException("TLS " + what + " " + file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new IOException("TLS " + what + " " + file + ": cannot be read (permission denied)", e);
        }
        List<Block> blocks = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.startsWith("-----BEGIN ") || !line.endsWith("-----")) {
                continue;
            }
            String type = line.substring(11, line.length() - 5);
            int start = i + 1;
            List<String> headers = new ArrayList<>();
            StringBuilder base64 = new StringBuilder();
            boolean ended = false;
            for (i = i + 1; i < lines.length; i++) {
                String l = lines[i].strip();
                if (l.equals("-----END " + type + "-----")) {
                    ended = true;
                    break;
                }
                if (l.startsWith("-----")) {
                    break;
                }
                if (base64.isEmpty() && l.contains(":")) {
                    headers.add(l); // RFC 1421 headers: Proc-Type, DEK-Info
                } else {
                    base64.append(l);
                }
            }
            if (!ended) {
                throw new IOException("TLS " + what + " " + file + ": the block BEGIN " + type + " at line " + start
                        + " has no matching -----END " + type + "----- line");
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(base64.toString());
            } catch (IllegalArgumentException e) {
                throw new IOException("TLS " + what + " " + file + ": the block BEGIN " + type + " at line " + start
                        + " is not valid base64 (" + e.getMessage() + ")", e);
            }
            if (der.length == 0) {
                throw new IOException("TLS " + what + " " + file + ": the block BEGIN " + type + " at line " + start + " is empty");
            }
            blocks.add(new Block(type, List.copyOf(headers), der, start));
        }
        if (blocks.isEmpty()) {
            throw new IOException("TLS " + what + " " + file + ": not a PEM file (no -----BEGIN ...----- line)");
        }
        return blocks;
    }

    private static String found(List<Block> blocks) {
        Set<String> types = new LinkedHashSet<>();
        blocks.forEach(b -> types.add(b.type()));
        return "; found: " + String.join(", ", types);
    }

    private static PrivateKey decode(Path file, String algorithm, byte[] pkcs8) throws IOException {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS private key " + file + ": not a valid " + algorithm + " private key (" + oneLine(e) + ")", e);
        }
    }

    /** The algorithm of a PKCS#8 {@code PrivateKeyInfo}: its AlgorithmIdentifier's OID, RSA or EC. */
    private static String pkcs8Algorithm(Path file, byte[] der) throws IOException {
        Der.Reader info = Der.Reader.sequence(der);
        info.next(0x02); // version
        Der.Reader algorithm = new Der.Reader(info.next(0x30));
        String oid = Der.oid(algorithm.next(0x06));
        return switch (oid) {
            case RSA_OID -> "RSA";
            case EC_OID -> "EC";
            default -> throw new IOException("TLS private key " + file + ": unsupported key type (algorithm OID " + oid
                    + knownAlgorithm(oid) + "); expected an RSA or EC key");
        };
    }

    private static String knownAlgorithm(String oid) {
        return switch (oid) {
            case "1.3.101.112" -> ", Ed25519";
            case "1.3.101.113" -> ", Ed448";
            case "1.2.840.10040.4.1" -> ", DSA";
            case "1.2.840.113549.1.1.10" -> ", RSASSA-PSS";
            case "1.3.101.110" -> ", X25519";
            default -> "";
        };
    }

    /** The named curve of a SEC1 {@code ECPrivateKey}: its {@code [0] parameters}, or else the EC PARAMETERS block. */
    private static byte[] ecCurve(Path file, byte[] sec1, byte @Nullable [] parametersBlock) throws IOException {
        Der.Reader key = Der.Reader.sequence(sec1);
        key.next(0x02); // version 1
        key.next(0x04); // the private key
        byte[] parameters = null;
        while (key.hasMore()) {
            int tag = key.peekTag();
            byte[] value = key.next(tag);
            if (tag == 0xA0) {
                parameters = value; // explicit [0]: the encoding of an ECParameters choice
            }
        }
        if (parameters == null) {
            parameters = parametersBlock;
        }
        if (parameters == null) {
            throw new IOException("TLS private key " + file + ": the EC key names no curve (no parameters in the key and "
                    + "no BEGIN EC PARAMETERS block); put the curve's block before the key (openssl ecparam -name prime256v1, "
                    + "or the key's curve)");
        }
        Der.Reader choice = new Der.Reader(parameters);
        if (choice.peekTag() != 0x06) {
            throw new IOException("TLS private key " + file + ": the EC key has explicit curve parameters, not a named "
                    + "curve; write it with: openssl ec -in " + file + " -param_enc named_curve -out key.pem");
        }
        return choice.next(0x06);
    }

    /** A PKCS#8 {@code PrivateKeyInfo}: version 0, the algorithm and its parameters, the traditional key. */
    private static byte[] pkcs8(String algorithmOid, byte[] parameters, byte[] traditionalKey) {
        byte[] algorithm = Der.encode(0x30, Der.concat(Der.encode(0x06, Der.encodeOid(algorithmOid)), parameters));
        return Der.encode(0x30, Der.concat(Der.encode(0x02, new byte[] {0}), algorithm, Der.encode(0x04, traditionalKey)));
    }

    /** {@code der} if it is one DER SEQUENCE and nothing after it. */
    private static byte[] checkedSequence(byte[] der) {
        Der.Reader.sequence(der);
        return der;
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        // The JDK nests causes as "Could not parse certificate: java.io.IOException: Empty input": keep the words.
        return m.replaceAll("\\b(?:[a-z][a-z0-9]*\\.)+[A-Z]\\w*(?:Exception|Error): ", "").replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** The little DER this needs (X.690): tag, definite length, value. */
    static final class Der {
        private Der() {
        }

        /** A value that is not the DER expected; the message says what was found where. */
        static final class Malformed extends RuntimeException {
            Malformed(String message) {
                super(message, null, false, false);
            }
        }

        static byte[] encode(int tag, byte[] value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
            out.write(tag);
            int n = value.length;
            if (n < 0x80) {
                out.write(n);
            } else {
                int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
                out.write(0x80 | bytes);
                for (int i = bytes - 1; i >= 0; i--) {
                    out.write(n >>> (8 * i));
                }
            }
            out.writeBytes(value);
            return out.toByteArray();
        }

        static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                out.writeBytes(p);
            }
            return out.toByteArray();
        }

        static byte[] encodeOid(String dotted) {
            String[] arcs = dotted.split("\\.");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
            for (int i = 2; i < arcs.length; i++) {
                base128(out, Long.parseLong(arcs[i]));
            }
            return out.toByteArray();
        }

        private static void base128(ByteArrayOutputStream out, long v) {
            int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
            for (int i = groups - 1; i >= 0; i--) {
                out.write((int) ((v >>> (7 * i)) & 0x7F) | (i > 0 ? 0x80 : 0));
            }
        }

        static String oid(byte[] value) {
            if (value.length == 0) {
                throw new Malformed("an empty OBJECT IDENTIFIER");
            }
            StringBuilder s = new StringBuilder();
            long v = 0;
            boolean first = true;
            for (int i = 0; i < value.length; i++) {
                v = (v << 7) | (value[i] & 0x7F);
                if ((value[i] & 0x80) == 0) {
                    if (first) {
                        long top = Math.min(v / 40, 2);
                        s.append(top).append('.').append(v - 40 * top);
                        first = false;
                    } else {
                        s.append('.').append(v);
                    }
                    v = 0;
                } else if (i == value.length - 1 || v > (Long.MAX_VALUE >>> 7)) {
                    throw new Malformed("an OBJECT IDENTIFIER cut short");
                }
            }
            return s.toString();
        }

        /** Reads the values inside one constructed value, one after the other. */
        static final class Reader {
            private final byte[] der;
            private int pos;

            Reader(byte[] der) {
                this.der = der;
            }

            /** A reader of the contents of the SEQUENCE that {@code der} must be, whole. */
            static Reader sequence(byte[] der) {
                Reader outer = new Reader(der);
                byte[] contents = outer.next(0x30);
                if (outer.hasMore()) {
                    throw new Malformed((der.length - outer.pos) + " bytes after the SEQUENCE");
                }
                return new Reader(contents);
            }

            boolean hasMore() {
                return pos < der.length;
            }

            int peekTag() {
                if (!hasMore()) {
                    throw new Malformed("the value ends early (at byte " + pos + ")");
                }
                return der[pos] & 0xFF;
            }

            /** The contents of the next value, which must have {@code tag}. */
            byte[] next(int tag) {
                int at = pos;
                int found = peekTag();
                if (found != tag) {
                    throw new Malformed(String.format("expected tag 0x%02x at byte %d, found 0x%02x", tag, at, found));
                }
                pos++;
                if (!hasMore()) {
                    throw new Malformed("no length at byte " + pos);
                }
                int first = der[pos++] & 0xFF;
                long length;
                if (first < 0x80) {
                    length = first;
                } else {
                    int bytes = first & 0x7F;
                    if (bytes == 0 || bytes > 4) {
                        throw new Malformed("unsupported length encoding at byte " + (pos - 1));
                    }
                    length = 0;
                    for (int i = 0; i < bytes; i++) {
                        if (!hasMore()) {
                            throw new Malformed("the length at byte " + (pos - 1) + " is cut short");
                        }
                        length = (length << 8) | (der[pos++] & 0xFF);
                    }
                }
                if (length > der.length - pos) {
                    throw new Malformed("a value at byte " + at + " is " + length + " bytes long, but only "
                            + (der.length - pos) + " follow");
                }
                byte[] value = java.util.Arrays.copyOfRange(der, pos, pos + (int) length);
                pos += (int) length;
                return value;
            }
        }
    }
}
