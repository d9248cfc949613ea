package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server that cannot start says why and leaves nothing running: a port in use is an {@link IOException} naming the
 * address, and the event loops it had started (non-daemon threads, which would keep the JVM alive) are gone.
 */
class FileServerStartTest {
    @TempDir
    Path root;

    private static Set<Thread> liveNonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !t.isDaemon())
                .collect(Collectors.toSet());
    }

    @Test
    void aPortInUseFailsWithTheAddressAndLeavesNoThreadBehind() throws Exception {
        for (boolean nativeTransport : new boolean[] {true, false}) {
            try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Set<Thread> before = liveNonDaemonThreads();
                FileServerOptions options = FileServerOptions.defaults(root).withHost("127.0.0.1")
                        .withPort(taken.getLocalPort()).withPreferNativeTransport(nativeTransport);
                IOException e = assertThrows(IOException.class, () -> FileServer.start(options).close());
                String message = e.getMessage();
                assertTrue(message.contains("127.0.0.1:" + taken.getLocalPort()), message);
                assertTrue(message.contains("in use"), message);
                // Netty's GlobalEventExecutor thread ends by itself a second after its last task: give threads 5 s.
                Set<Thread> after = liveNonDaemonThreads();
                after.removeAll(before);
                for (Thread t : after) {
                    t.join(5_000);
                }
                after.removeIf(t -> !t.isAlive());
                assertEquals(Set.of(), after, "threads the failed start left running (native transport: " + nativeTransport + ")");
            }
        }
    }
}
