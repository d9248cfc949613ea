/**
 * A Spring Boot 4 file server over mapped windows: {@link io.reactivemmap.samples.spring.SpringFileServerApp}.
 */
@NullMarked
package io.reactivemmap.samples.spring;

import org.jspecify.annotations.NullMarked;
