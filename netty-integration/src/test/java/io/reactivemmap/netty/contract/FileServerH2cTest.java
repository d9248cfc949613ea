package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.http.BodyMode;

/**
 * The contract against the file server over h2c (HTTP/2 with prior knowledge): bodies are DATA frames of mapped windows
 * (or, up to 256 KiB, one copy), whatever the body mode, since sendfile cannot frame bytes.
 */
class FileServerH2cTest extends FileServerFront {
    @Override
    BodyMode mode() {
        return BodyMode.AUTO;
    }

    @Override
    protected boolean h2c() {
        return true;
    }
}
