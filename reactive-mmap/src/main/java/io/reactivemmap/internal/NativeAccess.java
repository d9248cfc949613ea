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
 * {@code posix_fadvise}, {@code open}/{@code close}, {@code openat2}/{@code statx} (for servers that must open a
 * path without following symbolic links anywhere on it) and the page size.
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
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_DONTNEED = 4;
    /** Linux 5.14+: populate page tables, reading the file (triggers read faults in advance). */
    public static final int MADV_POPULATE_READ = 22;

    private static final int POSIX_FADV_DONTNEED = 4;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EINVAL = 22;
    private static final int EINTR = 4;
    private static final int EFAULT = 14;
    private static final int ENOMEM = 12;

    private static final System.Logger LOG = System.getLogger("io.reactivemmap.NativeAccess");

    private static final @org.jspecify.annotations.Nullable MethodHandle MADVISE;
    private static final @org.jspecify.annotations.Nullable MethodHandle FADVISE;
    private static final @org.jspecify.annotations.Nullable MethodHandle OPEN;
    private static final @org.jspecify.annotations.Nullable MethodHandle CLOSE;
    private static final @org.jspecify.annotations.Nullable MethodHandle SYSCALL;
    private static final @org.jspecify.annotations.Nullable MethodHandle STATX;
    private static final @org.jspecify.annotations.Nullable MethodHandle PREAD;
    private static final @org.jspecify.annotations.Nullable MethodHandle SENDFILE;
    private static final @org.jspecify.annotations.Nullable MethodHandle MMAP;
    private static final @org.jspecify.annotations.Nullable MethodHandle MUNMAP;
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final @org.jspecify.annotations.Nullable String UNAVAILABLE;
    private static final int PAGE_SIZE;

    private static volatile boolean populateSupported = true;

    static {
        MethodHandle madvise = null, fadvise = null, open = null, close = null, syscall = null, statx = null, pread = null, sendfile = null;
        MethodHandle mmap = null, munmap = null;
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
                // openat2 has no glibc wrapper (glibc 2.36): it is reached through syscall(2). statx has one (2.28).
                syscall = linker.downcallHandle(find(libc, "syscall"),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                        errno, Linker.Option.firstVariadicArg(1));
                statx = linker.downcallHandle(find(libc, "statx"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                        errno);
                pread = linker.downcallHandle(find(libc, "pread64"),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                        errno);
                sendfile = linker.downcallHandle(find(libc, "sendfile64"),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                        errno);
                mmap = linker.downcallHandle(find(libc, "mmap64"),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                        errno);
                munmap = linker.downcallHandle(find(libc, "munmap"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
                MethodHandle getpagesize = linker.downcallHandle(find(libc, "getpagesize"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT));
                pageSize = (int) getpagesize.invokeExact();
            } catch (Throwable t) {
                madvise = fadvise = open = close = syscall = statx = pread = sendfile = mmap = munmap = null;
                why = "the native linker could not bind libc: " + t;
            }
        }
        MADVISE = madvise;
        FADVISE = fadvise;
        OPEN = open;
        CLOSE = close;
        SYSCALL = syscall;
        STATX = statx;
        PREAD = pread;
        SENDFILE = sendfile;
        MMAP = mmap;
        MUNMAP = munmap;
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
        MethodHandle open = OPEN, fadvise = FADVISE;
        if (open == null || fadvise == null || CLOSE == null || length <= 0) {
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
                dropCache(fd, offset, length);
            } finally {
                closeFd(fd);
            }
        } catch (Throwable t) {
            Metrics.ADVICE_FAILURES.increment();
        }
    }

    /** {@code posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED)} on a descriptor the caller holds. */
    public static void dropCache(int fd, long offset, long length) {
        MethodHandle fadvise = FADVISE;
        if (fadvise == null || fd < 0 || length <= 0) {
            return;
        }
        try {
            int rc = (int) fadvise.invokeExact(fd, offset, length, POSIX_FADV_DONTNEED);
            if (rc != 0) {
                Metrics.ADVICE_FAILURES.increment();
            }
        } catch (Throwable t) {
            Metrics.ADVICE_FAILURES.increment();
        }
    }

    // ---- opening a path with no symbolic link on it (openat2 + statx), for servers -------------------------------

    private static final long SYS_OPENAT2 = 437; // the same number on every Linux architecture (unified table)
    private static final long AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final long O_NONBLOCK = 0x800;
    private static final long O_NOCTTY = 0x100;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long OPEN_HOW_SIZE = 24;
    private static final long STATX_SIZE = 256;
    /** errno values used by callers of {@link #openNoSymlinks}. */
    public static final int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ELOOP = 40, ENOSYS = 38, EAGAIN = 11, ENFILE = 23,
            EMFILE = 24;
    private static final int EPERM = 1, E2BIG = 7;
    private static final int S_IFMT = 0170000, S_IFREG = 0100000, S_IFDIR = 0040000;

    private static volatile boolean openat2Supported = true;

    /**
     * What {@code statx} says of an open descriptor.
     *
     * @param dev the device in glibc's {@code makedev} encoding, the value {@code stat}'s {@code st_dev} (and the
     *            JDK's {@code unix:dev} attribute) has
     */
    public record FileStat(int mode, long size, long dev, long ino, long mtimeSeconds, int mtimeNanos) {
        public boolean isRegularFile() {
            return (mode & S_IFMT) == S_IFREG;
        }

        public boolean isDirectory() {
            return (mode & S_IFMT) == S_IFDIR;
        }
    }

    /** Whether {@link #openNoSymlinks} can work here (Linux 5.6+, native access enabled, not refused before). */
    public static boolean openNoSymlinksAvailable() {
        return SYSCALL != null && STATX != null && PREAD != null && openat2Supported;
    }

    /**
     * {@code openat2(AT_FDCWD, absolutePath, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
     * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)}: opens {@code absolutePath} only if no element of it is a symbolic
     * link, decided by the kernel during the one path walk (no check-then-open race). {@code O_NONBLOCK} keeps a FIFO
     * from blocking the caller; the caller checks the type with {@link #fstat}.
     *
     * @return the descriptor (the caller closes it with {@link #closeFd}), or {@code -errno}: {@code -ELOOP} when a
     *         symbolic link is on the path, {@code -ENOENT}/{@code -ENOTDIR}/{@code -EACCES} as for {@code open}, and
     *         {@code -ENOSYS} when the call is not available (old kernel, seccomp filter, native access off), after
     *         which {@link #openNoSymlinksAvailable()} is {@code false}
     */
    public static int openNoSymlinks(String absolutePath) {
        MethodHandle mh = SYSCALL;
        if (mh == null || !openat2Supported) {
            return -ENOSYS;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment how = arena.allocate(OPEN_HOW_SIZE, 8);
            how.set(ValueLayout.JAVA_LONG, 0, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
            how.set(ValueLayout.JAVA_LONG, 8, 0L);
            how.set(ValueLayout.JAVA_LONG, 16, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
            MemorySegment cPath = arena.allocateFrom(absolutePath);
            long rc = (long) mh.invokeExact(state, SYS_OPENAT2, AT_FDCWD, cPath, how, OPEN_HOW_SIZE);
            if (rc >= 0) {
                return (int) rc;
            }
            int err = (int) ERRNO.get(state, 0L);
            if (err == ENOSYS || err == EPERM || err == EINVAL || err == E2BIG) {
                // No openat2 (Linux < 5.6), a seccomp filter refusing it, or flags this kernel does not know.
                openat2Supported = false;
                LOG.log(System.Logger.Level.INFO, "openat2 is not usable here (errno " + err + "): paths are checked "
                        + "with realpath instead (slower, same result)");
                return -ENOSYS;
            }
            return -err;
        } catch (Throwable t) {
            openat2Supported = false;
            return -ENOSYS;
        }
    }


    /**
     * {@code statx(fd, "", AT_EMPTY_PATH)}: the attributes of an open descriptor.
     *
     * @return the attributes, or {@code null} if the call failed
     */
    public static @org.jspecify.annotations.Nullable FileStat fstat(int fd) {
        MethodHandle mh = STATX;
        if (mh == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(STATX_SIZE, 8);
            MemorySegment empty = arena.allocateFrom("");
            int rc = (int) mh.invokeExact(state, fd, empty, AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
            if (rc != 0) {
                return null;
            }
            int mode = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, 28));
            long ino = buf.get(ValueLayout.JAVA_LONG, 32);
            long size = buf.get(ValueLayout.JAVA_LONG, 40);
            long mtimeSec = buf.get(ValueLayout.JAVA_LONG, 112);
            int mtimeNanos = buf.get(ValueLayout.JAVA_INT, 120);
            long major = Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 136));
            long minor = Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 140));
            long dev = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
            return new FileStat(mode, size, dev, ino, mtimeSec, mtimeNanos);
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * {@code pread(fd, address, length, position)}, repeated on {@code EINTR}: reads file bytes into native memory
     * the caller owns (a direct buffer it keeps alive for the call) without moving any file offset, so descriptors
     * opened with {@link #openNoSymlinks} can be read without a {@code FileChannel}.
     *
     * @return the number of bytes read (0 at or past the end of the file), or {@code -errno}; {@code -ENOSYS} when
     *         native access is off
     */
    public static long pread(int fd, long address, long length, long position) {
        MethodHandle mh = PREAD;
        if (mh == null) {
            return -ENOSYS;
        }
        if (fd < 0 || address == 0 || length < 0 || position < 0) {
            throw new IllegalArgumentException("pread(fd=" + fd + ", address=0x" + Long.toHexString(address) + ", length="
                    + length + ", position=" + position + "): a descriptor, an address and non-negative numbers are needed");
        }
        return retryingOnEintr((arena, state) -> (long) mh.invokeExact(state, fd, address, length, position));
    }

    /**
     * {@code sendfile(socket, fd, &position, length)}, repeated on {@code EINTR}: file bytes into a socket inside the
     * kernel, with no copy through user space. On a non-blocking socket, fewer bytes than asked or {@code -EAGAIN}
     * mean its send buffer is full.
     *
     * @return the number of bytes sent (0 when {@code position} is at or past the end of the file), or {@code -errno};
     *         {@code -ENOSYS} when native access is off
     */
    public static long sendfile(int socket, int fd, long position, long length) {
        MethodHandle mh = SENDFILE;
        if (mh == null) {
            return -ENOSYS;
        }
        if (socket < 0 || fd < 0 || length < 0 || position < 0) {
            throw new IllegalArgumentException("sendfile(socket=" + socket + ", fd=" + fd + ", position=" + position
                    + ", length=" + length + "): descriptors and non-negative numbers are needed");
        }
        return retryingOnEintr((arena, state) ->
                (long) mh.invokeExact(state, socket, fd, arena.allocateFrom(ValueLayout.JAVA_LONG, position), length));
    }

    /** One system call with errno captured into {@code state}; allocations it needs come from {@code arena}. */
    @FunctionalInterface
    private interface Syscall {
        long call(Arena arena, MemorySegment state) throws Throwable;
    }

    /** Runs {@code syscall} again while it fails with {@code EINTR}: its result, or {@code -errno}. */
    private static long retryingOnEintr(Syscall syscall) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                long n = syscall.call(arena, state);
                if (n >= 0) {
                    return n;
                }
                int err = (int) ERRNO.get(state, 0L);
                if (err != EINTR) {
                    return -err;
                }
            }
        } catch (Throwable t) {
            return -ENOSYS;
        }
    }

    // ---- mapping a descriptor (mmap/munmap), immune to thread interrupts --------------------------------------

    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;

    /** Whether {@link #openReadOnly} and {@link #mapReadOnly} can be used (Linux, native access enabled). */
    public static boolean mappingAvailable() {
        return MMAP != null && MUNMAP != null && OPEN != null && CLOSE != null && STATX != null && PREAD != null;
    }

    /**
     * {@code open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)}, repeated on {@code EINTR}. {@code O_NONBLOCK}
     * keeps a FIFO from blocking the caller; check the type with {@link #fstat}.
     *
     * @return the descriptor (close it with {@link #closeFd}), or {@code -errno} ({@code -ENOSYS} when unavailable)
     */
    public static int openReadOnly(String path) {
        MethodHandle mh = OPEN;
        if (mh == null) {
            return -ENOSYS;
        }
        return (int) retryingOnEintr((arena, state) ->
                (int) mh.invokeExact(state, arena.allocateFrom(path), O_RDONLY | O_CLOEXEC | (int) O_NONBLOCK | (int) O_NOCTTY));
    }

    /**
     * Maps {@code [offset, offset + size)} of {@code fd} read-only and shared, as a segment of {@code arena}: closing
     * the arena unmaps it ({@code munmap} runs as the arena's cleanup, after the JVM's handshake has made every JDK
     * accessor of the segment fail, exactly as for {@code FileChannel.map(..., arena)}).
     *
     * <p>Unlike {@code FileChannel.map}, this cannot be broken by an interrupt: the JDK's {@code map} notices an
     * interrupt that arrives during its {@code mmap} call only afterwards, closes the channel, throws
     * {@code ClosedByInterruptException} and leaves the mapping it just made in the process for good, unaccounted.
     * Here the mapping is counted in {@link Metrics} the moment {@code mmap} returns, before anything that could fail.
     *
     * @param offset page-aligned file offset
     * @return the mapping, owned by {@code arena}
     * @throws java.io.IOException naming the errno when {@code mmap} fails
     */
    public static MemorySegment mapReadOnly(int fd, long offset, long size, Arena arena) throws java.io.IOException {
        MethodHandle mh = MMAP;
        if (mh == null || MUNMAP == null) {
            throw new UnsupportedOperationException("mmap through FFM is not available: " + UNAVAILABLE);
        }
        long address;
        int err;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            address = (long) mh.invokeExact(state, 0L, size, PROT_READ, MAP_SHARED, fd, offset);
            err = address == -1L ? (int) ERRNO.get(state, 0L) : 0;
        } catch (Throwable t) {
            throw new java.io.IOException("mmap(fd " + fd + ", offset " + offset + ", " + size + " bytes) could not be called: " + t, t);
        }
        if (address == -1L) {
            throw new java.io.IOException("mmap(offset " + offset + ", " + size + " bytes) failed with errno " + err
                    + (err == ENOMEM ? " (ENOMEM: out of mappings or address space)" : err == EACCES ? " (EACCES)" : ""));
        }
        // From here the mapping exists: count it now, so that the statistics and /proc/self/maps agree on every path.
        Metrics.mapped(size);
        try {
            return MemorySegment.ofAddress(address).reinterpret(size, arena, ignored -> munmap(address, size));
        } catch (Throwable t) {
            munmap(address, size);
            Metrics.unmapped(size);
            throw t;
        }
    }

    /** {@code munmap(address, size)}; errors (none are possible for a range we mapped) are counted, not thrown. */
    private static void munmap(long address, long size) {
        MethodHandle mh = MUNMAP;
        if (mh == null) {
            return;
        }
        try {
            int rc = (int) mh.invokeExact(address, size);
            if (rc != 0) {
                Metrics.ADVICE_FAILURES.increment();
            }
        } catch (Throwable t) {
            Metrics.ADVICE_FAILURES.increment();
        }
    }

    /** {@code close(fd)}, ignoring errors (a read-only descriptor has nothing to flush). */
    public static void closeFd(int fd) {
        MethodHandle mh = CLOSE;
        if (mh == null || fd < 0) {
            return;
        }
        try {
            int ignored = (int) mh.invokeExact(fd);
        } catch (Throwable ignored) {
            // nothing to do: the descriptor is gone either way on Linux
        }
    }
}
