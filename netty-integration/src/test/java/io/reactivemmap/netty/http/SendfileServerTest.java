package io.reactivemmap.netty.http;

import java.io.IOException;

/** The server contract with {@link BodyMode#SENDFILE}: DefaultFileRegion, nothing mapped. */
class SendfileServerTest extends FileServerContract {
    @Override
    FileServer start(FileServerOptions options) throws IOException {
        return FileServer.start(options.withBodyMode(BodyMode.SENDFILE));
    }
}
