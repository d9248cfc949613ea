package io.reactivemmap.netty;

/**
 * CONTRACT STUB: how {@link ChannelBodyWriter} bounds a connection.
 *
 * @param maxBytesInFlight bytes written to the channel and not yet flushed to the socket, per connection
 * @param maxChunkSize the largest single write; larger buffers are split into retained slices
 */
public record WriteOptions(long maxBytesInFlight, int maxChunkSize) {
    public static WriteOptions defaults() {
        return new WriteOptions(2L << 20, 1 << 20);
    }
}
