/**
 * JMH micro-benchmarks: what closing a shared arena costs while other threads run ({@link ArenaClose}), map + fault +
 * unmap by window size ({@link MapCost}), the publisher's cost per window against one pre-mapped segment
 * ({@link PublisherOverhead}), and writing mapped buffers to a Netty channel against pooled direct copies
 * ({@link MappedByteBufWrite}). Forks, warm-up and error bars are JMH's. Each benchmark makes its data file in a
 * temporary folder at the start of a trial and deletes it at the end ({@link HotFile}).
 *
 * <p>Build and run (see {@code docs/benchmarks.md}): {@code benchmarks/run.sh jmh [JMH options]}, which builds
 * {@code benchmarks/target/jmh.jar} with {@code -Pjmh} and runs it on the JDK 25 the build uses. Not tests: nothing
 * here runs in {@code mvn verify}; {@code JmhBenchmarkListTest} only checks that JMH's annotation processor found every
 * benchmark class.
 */
@NullMarked
package io.reactivemmap.benchmarks.jmh;

import org.jspecify.annotations.NullMarked;
