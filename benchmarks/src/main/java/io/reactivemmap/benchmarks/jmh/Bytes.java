package io.reactivemmap.benchmarks.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Bytes a benchmark thread streamed, reported by JMH next to the primary score as {@code <benchmark>:bytes} in the
 * same unit (with {@code Mode.Throughput} and seconds: bytes per second, whatever one operation covers).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Bytes {
    /** Bytes streamed in this iteration; JMH reads the field. */
    public long bytes;

    /** JMH does not reset counters itself. */
    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
    }
}
