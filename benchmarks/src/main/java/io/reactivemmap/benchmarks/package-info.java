/**
 * Side-by-side benchmarks of reactive-mmap and its peers (a hand-written mapped-window loop, {@code FileChannel.read},
 * Spring's {@code DataBufferUtils.read}, Reactor Netty's {@code ByteBufFlux.fromPath}, {@code FileInputStream}).
 * Not tests: they never gate a build. Run them with {@code benchmarks/run.sh}; see {@code docs/benchmarks.md}.
 */
@NullMarked
package io.reactivemmap.benchmarks;

import org.jspecify.annotations.NullMarked;
