package io.reactivemmap.netty.http;

import io.reactivemmap.netty.MappedByteBufs;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The server contract through the real {@code MappedByteBufs} and {@code ChannelBodyWriter}. Skipped until the
 * netty branch replaces the contract stubs; must pass after the merge.
 */
class MappedServerTest extends FileServerContract {
    @BeforeAll
    static void contractImplemented() {
        boolean implemented;
        try {
            MappedByteBufs.byteBufs(reactor.core.publisher.Flux.empty());
            implemented = true;
        } catch (UnsupportedOperationException stub) {
            implemented = false;
        }
        assumeTrue(implemented, "MappedByteBufs/ChannelBodyWriter are still stubs on this branch");
    }

    @Override
    FileServer start(FileServerOptions options) throws IOException {
        return FileServer.start(options.withBodyMode(BodyMode.MAPPED));
    }
}
