/**
 * A Spring Boot application with no code of its own that serves a directory through the auto-configuration:
 * {@link io.reactivemmap.samples.boot.SpringStaticFilesApp}. Its own package, so that component scanning does not
 * pick up the hand-wired sample in {@code io.reactivemmap.samples.spring}.
 */
@NullMarked
package io.reactivemmap.samples.boot;

import org.jspecify.annotations.NullMarked;
