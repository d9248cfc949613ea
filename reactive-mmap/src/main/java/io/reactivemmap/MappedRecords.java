package io.reactivemmap;

import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * Splits a file into {@link MappedRecord records} (lines, or bytes between a delimiter of your choice), streamed to
 * Reactor subscribers on demand from the file's {@link MappedWindow windows}. A record inside one window is a view of
 * it, no byte copied; a record that crosses window boundaries, however many, is copied once.
 *
 * <pre>{@code
 * // Scoped: each record is closed right after the function returns. Nothing can leak.
 * Mono<Long> errors = MappedRecords.readLines(log, line -> contains(line.segment(), ERROR) ? 1L : 0L)
 *     .reduce(0L, Long::sum);
 *
 * // Raw records: you own each one and close it.
 * MappedRecords.lines(log)
 *     .concatMap(line -> send(line).doFinally(s -> line.close()))
 *     .subscribe();
 * }</pre>
 *
 * <h2>What a record is</h2>
 * The bytes between two delimiters; see {@link RecordOptions} for the exact rules (empty records, a last record
 * without a delimiter after it, the optional carriage return before the delimiter, the longest record accepted).
 *
 * <h2>Errors</h2>
 * As for {@link MappedFile}: arguments are checked at assembly, everything about the file arrives through
 * {@code onError} (missing file, truncated file, ...). A record longer than {@link RecordOptions#maxRecordLength()}
 * fails the stream with {@link RecordTooLongException}, naming the file, the record's offset and the limit, before
 * any memory is allocated for it.
 */
public final class MappedRecords {
    private MappedRecords() {
    }

    /** The file's lines, {@link RecordOptions#lines()}. See {@link #records(Path, long, long, RecordOptions)}. */
    public static Flux<MappedRecord> lines(Path path) {
        return records(path, RecordOptions.lines());
    }

    /** The file's lines, cut from windows of {@code mapOptions}. See {@link #records(Path, long, long, RecordOptions)}. */
    public static Flux<MappedRecord> lines(Path path, MapOptions mapOptions) {
        Objects.requireNonNull(mapOptions, "mapOptions");
        return records(path, RecordOptions.lines().withMapOptions(mapOptions));
    }

    /** The records of the whole file. See {@link #records(Path, long, long, RecordOptions)}. */
    public static Flux<MappedRecord> records(Path path, RecordOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return new FluxMappedRecords(MappedFile.windows(path, options.mapOptions()), path, -1, options);
    }

    /**
     * The records of bytes {@code [offset, offset + length)} of a file. The range is split as if it were the whole
     * file: its first record starts at {@code offset} and its last ends at {@code offset + length}, even where the file
     * continues the record on either side.
     *
     * <h4>Backpressure</h4>
     * Nothing is mapped until a record is requested, and one record is emitted per unit of demand. A window is mapped
     * only when a record is wanted and the previous window holds no further delimiter (plus the
     * {@link MapOptions#readAhead()} of the windows underneath); windows are bounded by
     * {@link MapOptions#maxLiveBytes()}, and records that are views of a window count as that window: a subscriber
     * that holds on to records from many windows pauses the stream until it closes some.
     *
     * <h4>Ownership</h4>
     * Each {@code onNext} transfers one record to the subscriber, which must {@link MappedRecord#close() close} it.
     * The source gives back its own reference to each window as soon as it has cut the window's last record, so a
     * window is unmapped the moment the last record viewing it is closed.
     *
     * <h4>Discard Support</h4>
     * The source closes by itself every window it holds and every window that arrives late: on complete, on error
     * and on cancel. It never queues records. Records it has emitted belong downstream: an operator that drops
     * elements ({@code filter}, {@code take}, {@code buffer}, a prefetching operator on cancel) hands them to
     * Reactor's discard hook, so end such chains with {@code .doOnDiscard(MappedRecord.class, MappedRecord::close)}.
     * {@link #read(Path, long, long, RecordOptions, Function)} needs none of this.
     *
     * @param offset first byte, {@code >= 0}
     * @param length bytes to split, {@code >= 0}, with {@code offset + length} not overflowing a {@code long}
     * @throws IllegalArgumentException at assembly if the range is negative or overflows
     */
    public static Flux<MappedRecord> records(Path path, long offset, long length, RecordOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        MappedFile.checkRange(offset, length);
        return new FluxMappedRecords(MappedFile.windows(path, offset, length, options.mapOptions()), path,
                offset + length, options);
    }

    /** {@link #read(Path, RecordOptions, Function)} over the file's lines, {@link RecordOptions#lines()}. */
    public static <R> Flux<R> readLines(Path path, Function<? super MappedRecord, ? extends R> reader) {
        return read(path, RecordOptions.lines(), reader);
    }

    /**
     * Applies {@code reader} to each record of the file, in order, and closes the record right after it returns
     * (or throws): the scoped way to split a file that cannot leak a window.
     *
     * <p>The reader must not keep the record or its views past its return (copy what it needs:
     * {@link MappedRecord#toByteArray()}, {@link MappedRecord#toString(java.nio.charset.Charset)}). Its result must
     * not be {@code null}. The file's size is checked before each window is cut and after the last record of it: a
     * file that shrinks while it is read fails the stream with {@link FileTruncatedException} (results already
     * emitted from the window it shrank under may have seen zeros or garbage). The {@link InternalError} the JVM
     * raises when a read faults on a truncated mapping is turned into an {@link java.io.IOException}, never passed on.
     *
     * @param reader called once per record on the thread that requested it; its exceptions go to {@code onError}
     */
    public static <R> Flux<R> read(Path path, RecordOptions options, Function<? super MappedRecord, ? extends R> reader) {
        return read(records(path, options), reader);
    }

    /** {@link #read(Path, RecordOptions, Function)} over a byte range, split as in {@link #records(Path, long, long, RecordOptions)}. */
    public static <R> Flux<R> read(Path path, long offset, long length, RecordOptions options,
                                   Function<? super MappedRecord, ? extends R> reader) {
        return read(records(path, offset, length, options), reader);
    }

    private static <R> Flux<R> read(Flux<MappedRecord> records, Function<? super MappedRecord, ? extends R> reader) {
        Objects.requireNonNull(reader, "reader");
        return records.handle((record, sink) -> {
            R result;
            try (record) {
                result = Objects.requireNonNull(reader.apply(record), "the reader returned null");
            } catch (InternalError fault) {
                MappedWindow window = record.window();
                sink.error(window != null ? window.faulted(fault)
                        : new java.io.IOException("reading " + record + " faulted: " + fault.getMessage(), fault));
                return;
            } catch (RuntimeException e) {
                sink.error(e);
                return;
            }
            sink.next(result);
        });
    }
}
