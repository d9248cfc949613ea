package io.reactivemmap.netty.spring;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.time.Duration;

/** WebFlux on a real Reactor Netty server, without Spring Boot: {@code HttpHandler} + {@code ReactorHttpHandlerAdapter}. */
public final class SpringServer implements AutoCloseable {
    private final DisposableServer server;

    private SpringServer(DisposableServer server) {
        this.server = server;
    }

    public static SpringServer start(HttpHandler handler) {
        return new SpringServer(HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(handler))
                .bindNow(Duration.ofSeconds(10)));
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
    }
}
