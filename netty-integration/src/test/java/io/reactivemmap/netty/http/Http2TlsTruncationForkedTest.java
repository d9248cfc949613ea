package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

/**
 * {@link TlsTruncationForkedTest} over HTTP/2 ({@link Http2TlsTruncationCanary}): a file truncated while it is sent in
 * DATA frames over TLS ends the download short with only the file's bytes, and the JVM survives.
 */
@Timeout(120)
class Http2TlsTruncationForkedTest {
    @ParameterizedTest(name = "truncated to {0} bytes")
    @ValueSource(longs = {1 << 20, (3 << 20) + 1234})
    void aFileTruncatedDuringAnH2DownloadEndsTheStreamShortAndTheJvmSurvives(long truncateTo, @TempDir Path dir) throws Exception {
        // Small client windows keep the server close behind the reader, so the truncation lands mid-transfer: 256 KiB per
        // stream and 512 KiB for the connection instead of the JDK's 16 and 32 MiB.
        TlsTruncationForkedTest.assertTheCanarySurvives(Http2TlsTruncationCanary.class,
                List.of("-Djdk.httpclient.windowsize=262144", "-Djdk.httpclient.connectionWindowSize=524288"), truncateTo, dir);
    }
}
