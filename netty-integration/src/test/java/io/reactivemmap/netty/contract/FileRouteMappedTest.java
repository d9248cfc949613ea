package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/** The contract against the Reactor Netty route over HTTP/1.1 with {@link BodyMode#MAPPED}: windows through ReactorNettyWindows.send. */
class FileRouteMappedTest extends FileRouteFront {
    @Override
    BodyMode mode() {
        return BodyMode.MAPPED;
    }
}
