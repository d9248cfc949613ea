package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;

/**
 * TLS for {@link FileServer}: the JDK's TLS provider (no native code reads the mapped memory), with a certificate
 * chain and a private key in PEM files, or (for development only, when asked with {@link #selfSigned()}) a
 * self-signed certificate for {@code localhost} generated at start-up.
 *
 * <p>The PEM forms accepted, as OpenSSL and certificate authorities write them:
 * <ul>
 *   <li>certificate chain: {@code BEGIN CERTIFICATE} blocks, the server's certificate first, then the intermediates
 *   (the root may follow; clients ignore it); text between blocks is skipped;</li>
 *   <li>private key: an RSA or EC key as PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY})
 *   or SEC1 ({@code BEGIN EC PRIVATE KEY}, with or without a {@code BEGIN EC PARAMETERS} block before it), on a
 *   named curve;</li>
 *   <li>one file holding both the key and the chain, given as both paths.</li>
 * </ul>
 * Encrypted keys ({@code BEGIN ENCRYPTED PRIVATE KEY}, {@code Proc-Type: 4,ENCRYPTED}) are refused with a message to
 * decrypt them first ({@code openssl pkey -in key.pem -out plain.pem}). The files are read when the server starts:
 * {@link FileServer#start} throws an {@link java.io.IOException} whose message is one line naming the file and what
 * is wrong (missing, unreadable, no certificate, no key, an unsupported type, bad base64 or DER, or a key that is not
 * the certificate's: the key signs a random challenge that the certificate's public key must verify).
 *
 * @param certificateChain PEM certificate chain, the server's certificate first, or {@code null} for a self-signed
 *                         certificate
 * @param privateKey PEM private key (PKCS#8, PKCS#1 or SEC1; may be the same file as {@code certificateChain}), or
 *                   {@code null} for a self-signed certificate
 */
public record TlsOptions(@Nullable Path certificateChain, @Nullable Path privateKey) {
    /**
     * Checks that both files are given, or neither.
     *
     * @throws IllegalArgumentException if only one of them is given
     */
    public TlsOptions {
        if ((certificateChain == null) != (privateKey == null)) {
            throw new IllegalArgumentException("give both certificateChain and privateKey, or neither (for a self-signed certificate)");
        }
    }

    /**
     * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made at start-up: for development, since
     * no client trusts it without being told to.
     */
    public static TlsOptions selfSigned() {
        return new TlsOptions(null, null);
    }

    /** Whether the certificate is generated at start-up. */
    public boolean isSelfSigned() {
        return certificateChain == null;
    }
}
