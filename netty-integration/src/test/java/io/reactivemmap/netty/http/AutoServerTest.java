package io.reactivemmap.netty.http;

import java.io.IOException;

/**
 * The server contract with the default {@link BodyMode#AUTO} on plain HTTP/1.1: bodies up to 64 KiB read with
 * {@code pread} from the {@code openat2} descriptor and written with the headers, larger ones by Netty's sendfile from
 * the adopted channel.
 */
class AutoServerTest extends FileServerContract {
    @Override
    FileServer start(FileServerOptions options) throws IOException {
        return FileServer.start(options.withBodyMode(BodyMode.AUTO));
    }
}
