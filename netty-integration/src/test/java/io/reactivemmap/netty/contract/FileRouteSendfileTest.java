package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/** The contract against the Reactor Netty route over HTTP/1.1 with {@link BodyMode#SENDFILE}: Reactor Netty's sendFile, nothing mapped. */
class FileRouteSendfileTest extends FileRouteFront {
    @Override
    BodyMode mode() {
        return BodyMode.SENDFILE;
    }
}
