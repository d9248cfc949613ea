/**
 * Mapped windows as zero-copy Netty {@link io.netty.buffer.ByteBuf}s, and a writer that drains them into a channel
 * with a bound in bytes, not items.
 */
@NullMarked
package io.reactivemmap.netty;

import org.jspecify.annotations.NullMarked;
