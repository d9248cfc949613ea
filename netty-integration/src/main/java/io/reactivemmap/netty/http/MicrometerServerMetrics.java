package io.reactivemmap.netty.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.reactivemmap.MappingBudget;
import io.reactivemmap.micrometer.MappingMeters;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link ServerMetrics} of a server with an admin port: Micrometer meters in a Prometheus registry of the server's
 * own, with the core's {@link MappingMeters} (windows, mapped bytes, budget waits, truncations) beside them. Every meter
 * is listed in {@code docs/metrics.md}. The only class of this module that imports Micrometer: {@link FileServer}
 * loads it only when the admin port is on, so Micrometer stays an optional dependency.
 */
final class MicrometerServerMetrics implements ServerMetrics {
    /** The Prometheus text exposition format's content type (version 0.0.4), which {@link #scrape()} writes. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** The class {@link FileServer} looks for before it uses this one, to fail with a clear message without it. */
    static final String REQUIRED_CLASS = "io.micrometer.prometheusmetrics.PrometheusMeterRegistry";

    private final PrometheusMeterRegistry registry;
    private final Counter sent;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong streams = new AtomicLong();
    private final Map<Timeout, Counter> timeouts = new EnumMap<>(Timeout.class);
    private final Counter handshakes;
    private final Counter handshakeFailures;
    /** The requests counter of each protocol and status seen, keyed {@code protocol + " " + status}. */
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();

    /** Meters for a server whose windows count against {@code budget}. */
    MicrometerServerMetrics(MappingBudget budget) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new MappingMeters().withBudget(budget == MappingBudget.global() ? "global" : "server", budget).bindTo(registry);
        sent = Counter.builder("reactivemmap.server.sent").baseUnit(BaseUnits.BYTES)
                .description("bytes written to client sockets: response heads and bodies, HTTP/2 framing and TLS included")
                .register(registry);
        Gauge.builder("reactivemmap.server.connections.active", connections, AtomicLong::get)
                .description("client connections open now").register(registry);
        Gauge.builder("reactivemmap.server.streams.active", streams, AtomicLong::get)
                .description("HTTP/2 streams open now").register(registry);
        for (Timeout kind : Timeout.values()) {
            timeouts.put(kind, Counter.builder("reactivemmap.server.timeouts").tag("kind", kind.tag())
                    .description("connections closed by a timeout").register(registry));
        }
        handshakes = handshakes(registry, "success");
        handshakeFailures = handshakes(registry, "failure");
    }

    private static Counter handshakes(MeterRegistry registry, String outcome) {
        return Counter.builder("reactivemmap.server.tls.handshakes").tag("outcome", outcome)
                .description("TLS handshakes ended, by outcome").register(registry);
    }

    /** Every meter in the Prometheus text format ({@link #CONTENT_TYPE}). */
    String scrape() {
        return registry.scrape();
    }

    @Override
    public void requestDone(int status, String protocol) {
        requests.computeIfAbsent(protocol + " " + status, key -> Counter.builder("reactivemmap.server.requests")
                .tag("protocol", protocol).tag("status", Integer.toString(status))
                .description("requests answered whose response has ended, by status and protocol")
                .register(registry)).increment();
    }

    @Override
    public void bytesSent(long bytes) {
        sent.increment(bytes);
    }

    @Override
    public void connectionOpened() {
        connections.incrementAndGet();
    }

    @Override
    public void connectionClosed() {
        connections.decrementAndGet();
    }

    @Override
    public void streamOpened() {
        streams.incrementAndGet();
    }

    @Override
    public void streamClosed() {
        streams.decrementAndGet();
    }

    @Override
    public void timedOut(Timeout kind) {
        timeouts.get(kind).increment();
    }

    @Override
    public void tlsHandshake(boolean succeeded) {
        (succeeded ? handshakes : handshakeFailures).increment();
    }
}
