package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The senders {@link BodySenders#of} picks, by how they describe themselves (what {@code /_stats} reports). */
class BodySendersTest {
    private static final String COPY_OR_MAPPED = "up to 256 KiB copied, larger mapped";

    private static BodySenders of(BodyMode mode, boolean tls) {
        return BodySenders.of(FileServerOptions.builder(Path.of("/srv")).bodyMode(mode)
                .tls(tls ? TlsOptions.selfSigned() : null).build());
    }

    @Test
    void underTlsHttp1CopiesSmallBodiesAndMapsTheRestWhateverTheMode() {
        assertEquals(COPY_OR_MAPPED, of(BodyMode.AUTO, true).http1().describe());
        assertEquals(COPY_OR_MAPPED, of(BodyMode.MAPPED, true).http1().describe());
    }

    @Test
    void onPlainConnectionsHttp1FollowsTheMode() {
        assertEquals("up to 64 KiB by corked sendfile, larger sendfile", of(BodyMode.AUTO, false).http1().describe());
        assertEquals("sendfile", of(BodyMode.SENDFILE, false).http1().describe());
        assertEquals("mapped", of(BodyMode.MAPPED, false).http1().describe());
    }

    @Test
    void http2NeverUsesSendfile() {
        assertEquals(COPY_OR_MAPPED, of(BodyMode.AUTO, false).http2().describe());
        assertEquals(COPY_OR_MAPPED, of(BodyMode.SENDFILE, false).http2().describe());
        assertEquals(COPY_OR_MAPPED, of(BodyMode.AUTO, true).http2().describe());
        assertEquals("mapped", of(BodyMode.MAPPED, false).http2().describe());
        assertEquals("mapped", of(BodyMode.MAPPED, true).http2().describe());
    }
}
