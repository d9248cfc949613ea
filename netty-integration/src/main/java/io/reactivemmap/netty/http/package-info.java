/**
 * An HTTP/1.1 and HTTP/2 file server over mapped windows (or sendfile): {@link io.reactivemmap.netty.http.FileServer} and its
 * options, and the pieces it is made of, each usable on its own — RFC 9110 range and conditional-request semantics
 * ({@link io.reactivemmap.netty.http.ByteRanges}, {@link io.reactivemmap.netty.http.Preconditions}), safe resolution
 * of request paths under a root ({@link io.reactivemmap.netty.http.RootDirectory}).
 */
@NullMarked
package io.reactivemmap.netty.http;

import org.jspecify.annotations.NullMarked;
