package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/** The contract against the file server over HTTP/1.1 with {@link BodyMode#AUTO}: bodies up to 64 KiB copied with pread from the checked descriptor, larger ones by sendfile. */
class FileServerHttp1AutoTest extends FileServerFront {
    @Override
    BodyMode mode() {
        return BodyMode.AUTO;
    }
}
