package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/** The contract against the file server over HTTP/1.1 with {@link BodyMode#MAPPED}: mapped windows through MappedByteBufs and ChannelBodyWriter. */
class FileServerHttp1MappedTest extends FileServerFront {
    @Override
    BodyMode mode() {
        return BodyMode.MAPPED;
    }
}
