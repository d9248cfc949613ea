package io.reactivemmap.netty.reactor;

import io.reactivemmap.netty.http.BodyMode;

/** The route contract with {@link BodyMode#SENDFILE}: Reactor Netty's {@code sendFile}, nothing mapped. */
class FileRouteSendfileTest extends FileRouteContract {
    @Override
    BodyMode mode() {
        return BodyMode.SENDFILE;
    }
}
