package io.reactivemmap.netty.http;

/** One piece of a response body: literal bytes (framing) or a range of the file. */
public sealed interface BodyPart {
    /** Bytes in this piece. */
    long length();

    /** Literal bytes, such as a multipart delimiter and part headers. */
    record Bytes(byte[] bytes) implements BodyPart {
        @Override
        public long length() {
            return bytes.length;
        }
    }

    /** {@code length} bytes of the file from {@code offset}. */
    record FileRange(long offset, long length) implements BodyPart {
        /** Checks that the range is not negative and does not overflow. */
        public FileRange {
            if (offset < 0 || length < 0 || offset + length < 0) {
                throw new IllegalArgumentException("not a file range: offset " + offset + ", length " + length);
            }
        }
    }
}
