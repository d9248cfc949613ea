/** Runnable programs that show reactive-mmap at work; copy from them. */
@NullMarked
package io.reactivemmap.samples;

import org.jspecify.annotations.NullMarked;
