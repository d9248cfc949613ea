package io.reactivemmap.netty.http;

import io.reactivemmap.MappingBudget;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileServerOptionsTest {
    private static final Path ROOT = Path.of("/srv/files");

    @Test
    void theBuildersDefaultsAreTheDocumentedOnes() {
        FileServerOptions o = FileServerOptions.builder(ROOT).build();
        assertEquals(ROOT, o.root());
        assertEquals("127.0.0.1", o.host());
        assertEquals(8080, o.port());
        assertNull(o.tls());
        assertEquals(4 << 20, o.windowSize());
        assertEquals(8L << 20, o.maxBytesInFlight());
        assertEquals(BodyMode.AUTO, o.bodyMode());
        assertEquals(10_000, o.maxConnections());
        assertEquals(Duration.ofSeconds(60), o.idleTimeout());
        assertEquals(1024, o.minRate());
        assertEquals(Duration.ofSeconds(30), o.minRatePeriod());
        assertEquals(RangeLimits.DEFAULT, o.rangeLimits());
        assertFalse(o.followSymlinksOutside());
        assertFalse(o.serveHidden());
        assertEquals(FileServerOptions.ADMIN_OFF, o.adminPort());
        assertEquals("127.0.0.1", o.adminHost());
        assertEquals(0, o.ioThreads());
        assertTrue(o.preferNativeTransport());
        assertEquals(Duration.ofSeconds(10), o.requestHeadTimeout());
        assertTrue(o.http2());
        assertEquals(100, o.maxConcurrentStreams());
        assertEquals(32L << 20, o.maxBytesInFlightPerConnection());
        assertEquals(16, o.maxWindowsPerConnection());
        assertEquals(Duration.ofSeconds(5), o.budgetWaitTimeout());
        assertEquals(MappingBudget.global(), o.mappingBudget());
        assertEquals(o, FileServerOptions.defaults(ROOT));
        assertEquals(o.hashCode(), FileServerOptions.defaults(ROOT).hashCode());
    }

    @Test
    void aBadValueFailsAtBuildNamingIt() {
        FileServerOptions.Builder b = FileServerOptions.builder(ROOT).port(70_000); // the setter accepts it
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertEquals("port must be 0-65535 (got 70000)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FileServerOptions.builder(ROOT).maxWindowsPerConnection(0).build());
        assertTrue(e.getMessage().startsWith("maxWindowsPerConnection must be >= 1 (got 0)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FileServerOptions.builder(ROOT).tls(TlsOptions.selfSigned()).bodyMode(BodyMode.SENDFILE).build());
        assertTrue(e.getMessage().contains("SENDFILE cannot be used with TLS"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FileServerOptions.builder(ROOT).adminPort(-2).build());
        assertEquals("adminPort must be 0-65535, or -1 for no admin port (got -2)", e.getMessage());
        // the withX methods validate the same way
        e = assertThrows(IllegalArgumentException.class, () -> FileServerOptions.defaults(ROOT).withWindowSize(1));
        assertTrue(e.getMessage().startsWith("windowSize must be 4096-"), e.getMessage());
    }

    @Test
    void toBuilderRoundTripsEveryOption() {
        FileServerOptions o = FileServerOptions.builder(ROOT).root(Path.of("/elsewhere")).host("0.0.0.0").port(0)
                .tls(TlsOptions.selfSigned()).windowSize(64 << 10).maxBytesInFlight(128 << 10).bodyMode(BodyMode.MAPPED)
                .maxConnections(7).idleTimeout(Duration.ofSeconds(3)).minRate(10).minRatePeriod(Duration.ZERO)
                .rangeLimits(new RangeLimits(3, 10)).followSymlinksOutside(true).serveHidden(true).adminPort(9090).adminHost("::1")
                .ioThreads(2).preferNativeTransport(false).requestHeadTimeout(Duration.ofSeconds(1)).http2(false)
                .maxConcurrentStreams(5).maxBytesInFlightPerConnection(1).maxWindowsPerConnection(2)
                .budgetWaitTimeout(Duration.ofMillis(100)).mappingBudget(MappingBudget.of(4, 1 << 20)).build();
        FileServerOptions copy = o.toBuilder().build();
        assertEquals(o, copy);
        assertEquals(o.hashCode(), copy.hashCode());
        assertEquals(o.toString(), copy.toString());
        assertNotEquals(o, o.withPort(1));
        assertEquals(o.withPort(1), o.toBuilder().port(1).build());
        // a builder is independent of the instance it came from
        FileServerOptions.Builder b = o.toBuilder();
        b.host("::1");
        assertEquals("0.0.0.0", o.host());
    }

    @Test
    void toStringSaysWhetherTlsIsOnAndNothingMore() {
        FileServerOptions o = FileServerOptions.defaults(ROOT)
                .withTls(new TlsOptions(Path.of("/etc/secret/chain.pem"), Path.of("/etc/secret/key.pem")));
        assertTrue(o.toString().contains("tls=on"), o.toString());
        assertFalse(o.toString().contains("secret"), o.toString());
        assertTrue(FileServerOptions.defaults(ROOT).toString().contains("tls=off"));
    }
}
