package io.reactivemmap.netty.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.reactivemmap.MappingBudgetExhaustedException;
import io.netty.util.concurrent.Future;

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

    /**
     * Writes {@code head} (the response's status and headers) and then the body. A sender that may have to wait before
     * its first byte (for mapping budget) writes the head only with the body's first buffer, so that when the wait
     * fails nothing has been sent: see {@link #refusedForBudget}.
     *
     * @param head ownership of {@code head} is transferred to the sender
     */
    default ChannelFuture send(ChannelHandlerContext ctx, Object head, RootDirectory.Opened file, List<BodyPart> parts) {
        ctx.write(head);
        return send(ctx, file, parts);
    }

    /**
     * Whether a failed body found no mapping budget in time and sent nothing, not even its head: the request can then
     * still be answered with {@code 503}. (A body that fails once its head is written closes its channel, see
     * {@link io.reactivemmap.netty.ChannelBodyWriter}.)
     */
    static boolean refusedForBudget(ChannelHandlerContext ctx, Future<?> failed) {
        return failed.cause() instanceof MappingBudgetExhaustedException && ctx.channel().isActive();
    }
}
