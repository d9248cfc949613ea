package io.reactivemmap.benchmarks.http;

import io.netty.handler.ssl.SslProvider;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;

import java.util.Objects;

/**
 * Peer: Spring WebFlux (Framework 7, functional endpoints, no Spring Boot) serving the root as a
 * {@link FileSystemResource} through {@link RouterFunctions#resources(String, org.springframework.core.io.Resource)}.
 * The response body goes through Spring's {@code ResourceHttpMessageWriter}, which hands a file resource to Reactor
 * Netty's zero-copy {@code sendFile} (and so to chunked copies under TLS), exactly as a Boot application's
 * static resources would; Boot would add auto-configuration around the same handler and the same server.
 *
 * <pre>usage: SpringWebFluxFileServer --root DIR [--host 127.0.0.1] --port N [--tls --cert CERT.pem --key KEY.pem]</pre>
 */
public final class SpringWebFluxFileServer {
    private SpringWebFluxFileServer() {
    }

    public static void main(String[] args) {
        PeerOptions options = PeerOptions.parse("SpringWebFluxFileServer", args);
        // The trailing slash makes the location a directory for relative lookups.
        RouterFunction<ServerResponse> router =
                RouterFunctions.resources("/**", new FileSystemResource(options.root().toString() + "/"));
        HttpHandler handler = RouterFunctions.toHttpHandler(router);
        HttpServer server = HttpServer.create()
                .host(options.host())
                .port(options.port())
                .handle(new ReactorHttpHandlerAdapter(handler));
        if (options.tls()) {
            server = server.secure(spec -> spec.sslContext(
                    Http11SslContextSpec.forServer(Objects.requireNonNull(options.cert()).toFile(),
                                    Objects.requireNonNull(options.key()).toFile())
                            .configure(builder -> builder.sslProvider(SslProvider.JDK))));
        }
        DisposableServer disposable = server.bindNow();
        System.out.println("SpringWebFluxFileServer (RouterFunctions.resources" + (options.tls() ? ", TLS JDK provider" : "")
                + ") serving " + options.root() + " at " + options.url());
        disposable.onDispose().block();
    }
}
