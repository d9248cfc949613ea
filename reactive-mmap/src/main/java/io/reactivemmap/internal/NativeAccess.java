package io.reactivemmap.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The one place that calls the operating system directly through the FFM {@link Linker}: {@code madvise},
 * {@code posix_fadvise}, {@code open}/{@code close} and the page size.
 *
 * <p>Availability is decided once, at class initialisation, and the reason is kept: {@link #unavailableReason()}
 * says why advice is off (not Linux, native access not enabled for this module, a symbol missing). Every call is
 * best effort: a failure is counted in {@link Metrics#adviceFailures} and never thrown, because advice is an
 * optimisation, not a correctness requirement.
 *
 * <p>Addresses are passed as plain {@code long}s, not as {@link MemorySegment}s, so a downcall never "acquires"
 * a window's arena: closing the arena must never fail because advice is in flight. Callers keep the window
 * retained for the duration of the call so the address stays mapped.
 */
public final class NativeAccess {

    /** {@code madvise} advice values (Linux, all architectures). */
    public static final int MADV_NORMAL = 0;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_DONTNEED = 4;
    /** Linux 5.14+: populate page tables, reading the file (triggers read faults in advance). */
    public static final int MADV_POPULATE_READ = 22;

    private static final int POSIX_FADV_DONTNEED = 4;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EINVAL = 22;
    private static final int EFAULT = 14;
    private static final int ENOMEM = 12;

    private static final System.Logger LOG = System.getLogger("io.reactivemmap.NativeAccess");

    private static final @org.jspecify.annotations.Nullable MethodHandle MADVISE;
    private static final @org.jspecify.annotations.Nullable MethodHandle FADVISE;
    private static final @org.jspecify.annotations.Nullable MethodHandle OPEN;
    private static final @org.jspecify.annotations.Nullable MethodHandle CLOSE;
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final @org.jspecify.annotations.Nullable String UNAVAILABLE;
    private static final int PAGE_SIZE;

    private static volatile boolean populateSupported = true;

    static {
        MethodHandle madvise = null, fadvise = null, open = null, close = null;
        String why = null;
        int pageSize = 4096;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            why = "advice is implemented for Linux only (os.name=" + System.getProperty("os.name") + ")";
        } else if (!NativeAccess.class.getModule().isNativeAccessEnabled()) {
            why = "native access is not enabled for " + describe(NativeAccess.class.getModule())
                    + "; start the JVM with --enable-native-access=" + moduleFlag(NativeAccess.class.getModule())
                    + " (or the Enable-Native-Access: ALL-UNNAMED manifest attribute of an executable jar)";
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                madvise = linker.downcallHandle(find(libc, "madvise"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
                        errno);
                // posix_fadvise returns the error number instead of setting errno.
                fadvise = linker.downcallHandle(find(libc, "posix_fadvise"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                open = linker.downcallHandle(find(libc, "open"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                        errno, Linker.Option.firstVariadicArg(2));
                close = linker.downcallHandle(find(libc, "close"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                MethodHandle getpagesize = linker.downcallHandle(find(libc, "getpagesize"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT));
                pageSize = (int) getpagesize.invokeExact();
            } catch (Throwable t) {
                madvise = fadvise = open = close = null;
                why = "the native linker could not bind libc: " + t;
            }
        }
        MADVISE = madvise;
        FADVISE = fadvise;
        OPEN = open;
        CLOSE = close;
        UNAVAILABLE = why;
        PAGE_SIZE = pageSize > 0 && Integer.bitCount(pageSize) == 1 ? pageSize : 4096;
        if (why != null) {
            // Said once, at start-up, with what to change: windows are mapped and unmapped as usual,
            // only the kernel hints (sequential, populate-ahead, drop-behind) are skipped.
            LOG.log(System.Logger.Level.WARNING, "reactive-mmap runs without madvise/fadvise: " + why);
        }
    }

    private NativeAccess() {
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        Optional<MemorySegment> symbol = lookup.find(name);
        return symbol.orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
    }

    private static String describe(Module module) {
        return module.isNamed() ? "module " + module.getName() : "the unnamed module (class path)";
    }

    private static String moduleFlag(Module module) {
        return module.isNamed() ? module.getName() : "ALL-UNNAMED";
    }

    /** Whether advice calls reach the kernel. */
    public static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why advice is off, or empty when it is on. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    /** The page size: mapping offsets are aligned down to it and madvise requires it. */
    public static int pageSize() {
        return PAGE_SIZE;
    }

    /**
     * {@code madvise(address, length, advice)}.
     *
     * @param address page-aligned start of a live mapping; the caller keeps it mapped during the call
     * @return 0 on success (or when advice is unavailable), else the errno
     */
    public static int madvise(long address, long length, int advice) {
        MethodHandle mh = MADVISE;
        if (mh == null || length <= 0) {
            return 0;
        }
        if ((address & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("madvise needs a page-aligned address (got 0x" + Long.toHexString(address)
                    + ", page size " + PAGE_SIZE + ")");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) mh.invokeExact(state, address, length, advice);
            if (rc == 0) {
                return 0;
            }
            int err = (int) ERRNO.get(state, 0L);
            if (!(advice == MADV_POPULATE_READ && err == EFAULT)) {
                // EFAULT on populate is the expected signal of a truncated file, reported by the caller.
                Metrics.ADVICE_FAILURES.increment();
            }
            return err;
        } catch (Throwable t) {
            Metrics.ADVICE_FAILURES.increment();
            return -1;
        }
    }

    /**
     * Faults the pages of {@code [address, address + length)} in, reading the file, so the reader does not.
     * Uses {@code MADV_POPULATE_READ} (Linux 5.14+); on older kernels falls back to {@code MADV_WILLNEED}
     * (read-ahead into the page cache only) for the rest of the process's life.
     *
     * @return {@code false} only when the kernel reported that part of the range lies past the end of the file
     *         (the file was truncated), {@code true} otherwise
     */
    public static boolean populate(long address, long length) {
        if (!available()) {
            return true;
        }
        if (populateSupported) {
            int err = madvise(address, length, MADV_POPULATE_READ);
            if (err == 0) {
                return true;
            }
            if (err == EFAULT) {
                return false;
            }
            if (err == EINVAL) {
                populateSupported = false;
                LOG.log(System.Logger.Level.INFO, "MADV_POPULATE_READ is not supported by this kernel (Linux 5.14+); "
                        + "populate-ahead falls back to MADV_WILLNEED");
            } else if (err == ENOMEM) {
                return true; // the range was unmapped under us: nothing to populate
            }
        }
        madvise(address, length, MADV_WILLNEED);
        return true;
    }

    /**
     * Drops the page cache of a file range: {@code posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED)} on a
     * descriptor opened for the call. (glibc's {@code posix_madvise(POSIX_MADV_DONTNEED)} does nothing, and
     * {@code madvise(MADV_DONTNEED)} only drops this process's page tables, not the cache.) Pages still mapped
     * elsewhere are kept by the kernel.
     */
    public static void dropCache(Path file, long offset, long length) {
        MethodHandle open = OPEN, fadvise = FADVISE, close = CLOSE;
        if (open == null || fadvise == null || close == null || length <= 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment cPath = arena.allocateFrom(file.toAbsolutePath().toString());
            int fd = (int) open.invokeExact(state, cPath, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                Metrics.ADVICE_FAILURES.increment();
                return;
            }
            try {
                int rc = (int) fadvise.invokeExact(fd, offset, length, POSIX_FADV_DONTNEED);
                if (rc != 0) {
                    Metrics.ADVICE_FAILURES.increment();
                }
            } finally {
                int ignored = (int) close.invokeExact(fd);
            }
        } catch (Throwable t) {
            Metrics.ADVICE_FAILURES.increment();
        }
    }
}
