package io.reactivemmap.netty.http;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The HTTP/1.x {@link RequestRules} cases every front end must answer alike, sent as raw bytes on fresh connections.
 * Public for the tests of the other front ends (io.reactivemmap.netty.reactor, .spring).
 */
public final class RequestRulesCases {
    private RequestRulesCases() {
    }

    /** A request head (without the blank line that ends it) and the status it must get. */
    public record Case(String head, int status) {
    }

    /** The cases, for a servable {@code target} such as {@code /files/data.bin}. */
    public static List<Case> cases(String target) {
        return List.of(
                new Case("GET " + target + " HTTP/9.9\r\nHost: localhost", 505),
                new Case("GET " + target + " HTTP/2.0\r\nHost: localhost", 505),
                new Case("GET " + target + " HTTP/3.0\r\nHost: localhost", 505),
                new Case("GET " + target + " HTTP/0.9\r\nHost: localhost", 505),
                new Case("GET " + target + " HTTP/1.1", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nHost: localhost", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nHost: example.com", 400),
                new Case("GET " + target + " HTTP/1.0\r\nHost: a\r\nHost: b", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: local host", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: localhost:80:80", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: localhost:8o", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: localhost:1234567", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: [::1", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: a/b", 400),
                new Case("GET " + target + " HTTP/1.1\r\nHost: a@b", 400),
                // well-formed: served
                new Case("GET " + target + " HTTP/1.0", 200),
                new Case("GET " + target + " HTTP/1.1\r\nHost: localhost", 200),
                new Case("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:8080", 200),
                new Case("GET " + target + " HTTP/1.1\r\nHost: [::1]:8080", 200),
                new Case("GET " + target + " HTTP/1.1\r\nHost: xn--bcher-kva.example", 200),
                new Case("GET " + target + " HTTP/1.1\r\nHost: ", 200),
                new Case("GET " + target + " HTTP/1.2\r\nHost: localhost", 200));
    }

    /** Sends every case on its own connection to {@code port} and checks its status (and that errors close it). */
    public static void assertAll(int port, String target) throws IOException {
        assertAll(port, target, false);
    }

    /**
     * As {@link #assertAll(int, String)}, for a front end on Reactor Netty: its server answers {@code HTTP/2.0} in a
     * request line with {@code 400} itself, before any handler runs (it never reaches ours).
     */
    public static void assertAllOnReactorNetty(int port, String target) throws IOException {
        assertAll(port, target, true);
    }

    private static void assertAll(int port, String target, boolean reactorNetty) throws IOException {
        for (Case c : cases(target)) {
            if (reactorNetty && c.head().contains(" HTTP/2.0\r\n")) {
                c = new Case(c.head(), 400);
            }
            try (RawHttp raw = new RawHttp(port)) {
                raw.send(c.head() + "\r\nConnection: close\r\n\r\n");
                RawHttp.Response r = raw.read(false);
                assertEquals(c.status(), r.status(), c.head().replace("\r\n", " | "));
                if (c.status() >= 400) {
                    assertEquals(-1, raw.in.read(), "the connection must be closed after " + c.status() + ": " + c.head());
                }
            }
        }
    }

    /**
     * {@code OPTIONS *} is answered {@code 204} with {@code Allow: GET, HEAD}, the asterisk is for OPTIONS only
     * ({@code 400}), OPTIONS of a file is a {@code 405}, and the connection is kept for {@code servable}.
     */
    public static void assertOptionsAsterisk(int port, String servable) throws IOException {
        try (RawHttp raw = new RawHttp(port)) {
            RawHttp.Response r = raw.request("OPTIONS", "*");
            assertEquals(204, r.status());
            assertEquals("GET, HEAD", r.header("allow"));
            assertEquals(400, raw.request("GET", "*").status());
            assertEquals(405, raw.request("OPTIONS", servable).status());
            assertEquals(200, raw.request("GET", servable).status(), "the connection is kept");
        }
    }
}
