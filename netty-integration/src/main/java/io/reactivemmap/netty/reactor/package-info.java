/**
 * Reactor Netty support (needs {@code reactor-netty-http}, an optional dependency of this module): a ready
 * {@code HttpServer} route that serves the files under a root directory with the semantics of the Netty file server
 * ({@link io.reactivemmap.netty.reactor.FileRoute}, configured by {@link io.reactivemmap.netty.reactor.FileRouteOptions}).
 * To send windows from a handler of your own, use {@link io.reactivemmap.netty.ReactorNettyWindows}.
 */
@NullMarked
package io.reactivemmap.netty.reactor;

import org.jspecify.annotations.NullMarked;
