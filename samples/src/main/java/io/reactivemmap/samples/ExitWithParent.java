package io.reactivemmap.samples;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;

/**
 * Runs another sample's {@code main} and ends this JVM when the process that started it ends: how the Maven profiles
 * ({@code -Pserve}, {@code -Psample}, {@code -Pspring-serve}) start a sample.
 *
 * <pre>
 * ExitWithParent MAIN_CLASS [ARGS...]
 * </pre>
 *
 * <p>Why: {@code exec:exec} runs the sample as a child process of Maven. Ctrl-C in a terminal reaches both (the
 * terminal signals the whole process group), but a {@code SIGTERM} sent to Maven alone (a service manager, a CI
 * step's timeout, {@code kill}) ends Maven and leaves the child running, orphaned, on its port. Here the child
 * watches its parent and, when it is gone, exits with 143 (the status of a {@code SIGTERM}) through
 * {@link System#exit}, so the sample's shutdown hooks close the server as they do on a signal.
 */
public final class ExitWithParent {
    private ExitWithParent() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: ExitWithParent MAIN_CLASS [ARGS...]");
            System.exit(2);
        }
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            System.err.println("the process that started this one (pid " + parent.pid() + ") exited: stopping");
            System.exit(143);
        }));
        MethodHandle main = MethodHandles.publicLookup().findStatic(Class.forName(args[0]), "main",
                MethodType.methodType(void.class, String[].class));
        main.invokeExact(Arrays.copyOfRange(args, 1, args.length));
    }
}
