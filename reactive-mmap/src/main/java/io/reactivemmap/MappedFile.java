package io.reactivemmap;

import reactor.core.publisher.Flux;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Streams a file to Reactor subscribers as {@link MappedWindow windows}: mapped lazily when requested, unmapped
 * the moment their last holder closes them, with the bytes mapped at once bounded per subscription and per process.
 *
 * <pre>{@code
 * // Scoped: each window is closed right after the function returns. Nothing can leak.
 * Flux<Long> sums = MappedFile.read(path, window -> sum(window.segment()));
 *
 * // Raw windows: you own each one and close it.
 * MappedFile.windows(path)
 *     .concatMap(window -> send(window).doFinally(s -> window.close()))
 *     .subscribe();
 * }</pre>
 *
 * <h2>Errors</h2>
 * Arguments are checked when the {@code Flux} is assembled ({@link NullPointerException},
 * {@link IllegalArgumentException}). Everything about the file is checked at subscription and signalled through
 * {@code onError}, never thrown from {@code subscribe} or {@code request}: a missing file
 * ({@link java.nio.file.NoSuchFileException}), no permission ({@link java.nio.file.AccessDeniedException}), a
 * directory, FIFO, device or /proc-style file ({@link java.nio.file.FileSystemException}), a range past the end
 * ({@link java.io.EOFException}), a file that shrinks while streaming ({@link FileTruncatedException}), a spent
 * budget with {@link MapOptions#failWhenBudgetExhausted()} ({@link MappingBudgetExhaustedException}). Each message
 * names the file or value and what to change. A zero-length file or range completes empty and maps nothing.
 */
public final class MappedFile {
    private MappedFile() {
    }

    /** The whole file, in windows of {@link MapOptions#defaults()}. See {@link #windows(Path, long, long, MapOptions)}. */
    public static Flux<MappedWindow> windows(Path path) {
        return windows(path, MapOptions.defaults());
    }

    /** The whole file. See {@link #windows(Path, long, long, MapOptions)}. */
    public static Flux<MappedWindow> windows(Path path, MapOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return new FluxMappedWindows(path, 0, -1, options);
    }

    /**
     * Bytes {@code [offset, offset + length)} of a file, as consecutive windows of {@code options.windowSize()} bytes
     * (the last may be shorter), the first starting at {@code offset}.
     *
     * <p>The file's size is taken at subscription; nothing past it is ever mapped. Each subscription opens the file
     * anew and maps independently.
     *
     * <h4>Backpressure</h4>
     * Nothing is mapped until requested. One window is mapped per unit of demand, plus at most
     * {@link MapOptions#readAhead()} ahead of it; and whatever the demand (even {@code Long.MAX_VALUE}), no more than
     * {@link MapOptions#maxLiveBytes()} stay mapped for the subscription: windows emitted and not yet closed count,
     * so a subscriber that queues windows (a {@code publishOn}, a {@code flatMap}) pauses the source until it closes
     * some. The process-wide {@link MapOptions#budget()} bounds all sources together.
     *
     * <h4>Ownership</h4>
     * Each {@code onNext} transfers one window to the subscriber, which must {@link MappedWindow#close() close} it.
     *
     * <h4>Discard Support</h4>
     * The source closes by itself every window it mapped and did not emit: on complete, on error and on cancel
     * (including windows read ahead and any that would have arrived after cancellation). Windows it has emitted
     * belong downstream: an operator that drops elements ({@code filter}, {@code take}, {@code buffer} or a
     * prefetching operator on cancel) hands them to Reactor's discard hook, so end such chains with
     * {@code .doOnDiscard(MappedWindow.class, MappedWindow::close)}. {@link #read} needs none of this.
     *
     * <h4>Threads</h4>
     * {@code request} and {@code cancel} may be called from any thread. Once {@code cancel()} has returned, no
     * {@code onNext} is running or will start: a {@code cancel()} from another thread waits for an {@code onNext} in
     * progress to return (one from inside {@code onNext} returns at once). Mapping is not affected by interrupts of
     * the thread that maps, when native access is enabled (see {@code docs/ownership-and-release.md}).
     *
     * @param offset first byte, {@code >= 0}
     * @param length bytes to stream, {@code >= 0}, with {@code offset + length} not overflowing a {@code long}
     * @throws IllegalArgumentException at assembly if the range is negative or overflows
     */
    public static Flux<MappedWindow> windows(Path path, long offset, long length, MapOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        checkRange(offset, length);
        return new FluxMappedWindows(path, offset, length, options);
    }

    /**
     * Bytes {@code [offset, offset + length)} of a file the caller has already opened, for example after checking
     * that the path it opened is the file it meant to serve: nothing is opened by path, so the windows map exactly
     * that file even if the path is renamed, replaced or swapped for a link afterwards. Otherwise as
     * {@link #windows(Path, long, long, MapOptions)}: the size is taken from the channel at subscription, and
     * truncation is checked against the channel.
     *
     * <h4>Ownership</h4>
     * The channel is borrowed, never closed here: keep it open until every subscription to the returned
     * {@code Flux} has terminated (windows already mapped stay valid after it is closed, but later windows cannot
     * be mapped and the truncation check is lost; a subscription to a closed channel fails with
     * {@link java.nio.file.FileSystemException}). Each {@code onNext} transfers one window to the subscriber, as above.
     *
     * <h4>Discard Support</h4>
     * As {@link #windows(Path, long, long, MapOptions)}.
     *
     * @param channel a channel open for reading on a regular file
     * @param path    the file's name, used by {@link MappedWindow#path()} and in error messages only
     */
    public static Flux<MappedWindow> windows(FileChannel channel, Path path, long offset, long length, MapOptions options) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        checkRange(offset, length);
        return new FluxMappedWindows(path, offset, length, options, channel);
    }

    /** {@link #windows(Path, long, long, MapOptions)} with {@link MapOptions#defaults()}. */
    public static Flux<MappedWindow> windows(Path path, long offset, long length) {
        return windows(path, offset, length, MapOptions.defaults());
    }

    /** {@link #read(Path, MapOptions, Function)} with {@link MapOptions#defaults()}. */
    public static <R> Flux<R> read(Path path, Function<? super MappedWindow, ? extends R> reader) {
        return read(path, MapOptions.defaults(), reader);
    }

    /**
     * Applies {@code reader} to each window of the file, in order, and closes the window right after it returns
     * (or throws): the scoped way to read a file that cannot leak a window.
     *
     * <p>The reader must not keep the window or its views past its return. Its result must not be {@code null}.
     * After the reader returns, the file's size is checked again: if the file shrank under the window, the result
     * (which may have been computed from bytes past the new end) is dropped and {@link FileTruncatedException} is
     * signalled instead. The {@link InternalError} the JVM raises when a read faults on a truncated mapping is
     * turned into that exception too, never passed on.
     *
     * @param reader called once per window on the thread that requested it; its exceptions go to {@code onError}
     */
    public static <R> Flux<R> read(Path path, MapOptions options, Function<? super MappedWindow, ? extends R> reader) {
        return read(windows(path, options), reader);
    }

    /** {@link #read(Path, MapOptions, Function)} over a byte range of the file. */
    public static <R> Flux<R> read(Path path, long offset, long length, MapOptions options,
                                   Function<? super MappedWindow, ? extends R> reader) {
        return read(windows(path, offset, length, options), reader);
    }

    private static <R> Flux<R> read(Flux<MappedWindow> windows, Function<? super MappedWindow, ? extends R> reader) {
        Objects.requireNonNull(reader, "reader");
        return windows.handle((window, sink) -> {
            R result;
            try (window) {
                result = Objects.requireNonNull(reader.apply(window), "the reader returned null");
                Optional<FileTruncatedException> truncated = window.checkIntact();
                if (truncated.isPresent()) {
                    sink.error(truncated.get());
                    return;
                }
            } catch (InternalError fault) {
                sink.error(window.faulted(fault));
                return;
            } catch (RuntimeException e) {
                sink.error(e);
                return;
            }
            sink.next(result);
        });
    }

    static void checkRange(long offset, long length) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0 (got " + offset + ")");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0 (got " + length + ")");
        }
        if (offset + length < 0) {
            throw new IllegalArgumentException("offset + length overflows a long (offset " + offset + ", length " + length
                    + "); ask for at most " + (Long.MAX_VALUE - offset) + " bytes from offset " + offset);
        }
    }
}
