/** Runnable programs to copy from. */
@NullMarked
package io.reactivemmap.samples;

import org.jspecify.annotations.NullMarked;
