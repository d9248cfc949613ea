package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/** The contract against the file server over HTTP/1.1 with {@link BodyMode#SENDFILE}: DefaultFileRegion, nothing mapped. */
class FileServerHttp1SendfileTest extends FileServerFront {
    @Override
    BodyMode mode() {
        return BodyMode.SENDFILE;
    }
}
