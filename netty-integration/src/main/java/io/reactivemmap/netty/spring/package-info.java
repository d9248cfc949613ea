/**
 * Spring WebFlux support (needs {@code spring-webflux}, an optional dependency of this module): mapped windows as
 * {@link org.springframework.core.io.buffer.DataBuffer}s ({@link io.reactivemmap.netty.spring.MappedDataBuffers}),
 * zero-copy on Reactor Netty, and a handler that serves files from a root directory with the range and conditional
 * semantics of the Netty file server ({@link io.reactivemmap.netty.spring.MappedFileHandler}), usable from a
 * {@code @Controller} and from a functional router.
 */
@NullMarked
package io.reactivemmap.netty.spring;

import org.jspecify.annotations.NullMarked;
