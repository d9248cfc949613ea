package io.reactivemmap.netty.http;

import java.io.IOException;

/**
 * The server contract with the default {@link BodyMode#AUTO} on plain HTTP/1.1: bodies up to 64 KiB read with
 * {@code pread} from the {@code openat2} descriptor (the contract's small files, ranges and multipart parts), larger
 * ones by sendfile from the adopted channel.
 */
class AutoServerTest extends FileServerContract {
    @Override
    FileServer start(FileServerOptions options) throws IOException {
        return FileServer.start(options.withBodyMode(BodyMode.AUTO));
    }
}
