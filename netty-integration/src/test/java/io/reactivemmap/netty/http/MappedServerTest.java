package io.reactivemmap.netty.http;

import java.io.IOException;

/** The server contract with {@link BodyMode#MAPPED}: mapped windows through MappedByteBufs and ChannelBodyWriter. */
class MappedServerTest extends FileServerContract {
    @Override
    FileServer start(FileServerOptions options) throws IOException {
        return FileServer.start(options.withBodyMode(BodyMode.MAPPED));
    }
}
