package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/** The contract against the Reactor Netty route over HTTP/1.1 with {@link BodyMode#AUTO}: small bodies copied, larger ones by sendFile. */
class FileRouteAutoTest extends FileRouteFront {
    @Override
    BodyMode mode() {
        return BodyMode.AUTO;
    }
}
