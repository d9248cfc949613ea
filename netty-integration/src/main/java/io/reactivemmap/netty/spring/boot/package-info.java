/**
 * Spring Boot auto-configuration: with this artifact on the class path of a WebFlux application, the application's
 * {@code file:} static locations and the directory named by {@code reactive-mmap.static.root} are served by
 * {@link io.reactivemmap.netty.spring.MappedFileHandler} (mapped windows, zero-copy on Reactor Netty) instead of
 * Spring's resource handler; {@code reactive-mmap.static.enabled=false} turns it off. See
 * {@link io.reactivemmap.netty.spring.boot.ReactiveMmapAutoConfiguration}.
 */
@NullMarked
package io.reactivemmap.netty.spring.boot;

import org.jspecify.annotations.NullMarked;
