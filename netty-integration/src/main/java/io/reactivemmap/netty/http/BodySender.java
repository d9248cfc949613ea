package io.reactivemmap.netty.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;

import java.util.List;

/**
 * Writes the body of a planned response after its headers. The returned future succeeds when every part has been
 * handed to the socket; it fails (and the connection must then be closed: a body cut short cannot be repaired) if the
 * file cannot be read to the planned length or the channel closes first.
 */
interface BodySender {
    /**
     * @param file open until the returned future completes; the caller closes it afterwards
     * @param parts non-empty
     */
    ChannelFuture send(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts);

    /** How this sender writes bodies, for {@code /_stats} and the start-up line: {@code "mapped"}, {@code "sendfile"}, ... */
    String describe();
}
