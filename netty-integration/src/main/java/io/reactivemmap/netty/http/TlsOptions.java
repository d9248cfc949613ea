package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;

/**
 * TLS for {@link FileServer}: the JDK's TLS provider (no native code reads the mapped memory), with a certificate
 * chain and PKCS#8 private key in PEM files, or a self-signed certificate for {@code localhost} generated at start-up.
 *
 * @param certificateChain PEM certificate chain, or {@code null} for a self-signed certificate
 * @param privateKey PEM PKCS#8 private key, or {@code null} for a self-signed certificate
 */
public record TlsOptions(@Nullable Path certificateChain, @Nullable Path privateKey) {
    public TlsOptions {
        if ((certificateChain == null) != (privateKey == null)) {
            throw new IllegalArgumentException("give both certificateChain and privateKey, or neither (for a self-signed certificate)");
        }
    }

    /** A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made at start-up. */
    public static TlsOptions selfSigned() {
        return new TlsOptions(null, null);
    }

    /** Whether the certificate is generated at start-up. */
    public boolean isSelfSigned() {
        return certificateChain == null;
    }
}
