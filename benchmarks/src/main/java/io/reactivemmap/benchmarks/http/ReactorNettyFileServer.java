package io.reactivemmap.benchmarks.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslProvider;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Peer: Reactor Netty {@code HttpServer} answering every GET with {@code response.sendFile(path)}.
 * Reactor Netty writes a {@code DefaultFileRegion} (sendfile) on plain connections and falls back to its own
 * {@code ChunkedNioFile} under TLS. {@code Content-Length} is set as a user serving downloads would (without it
 * the response is {@code Transfer-Encoding: chunked}). JDK TLS provider; Reactor Netty's default loop resources
 * (epoll when the native transport is on the class path).
 *
 * <pre>usage: ReactorNettyFileServer --root DIR [--host 127.0.0.1] --port N [--tls --cert CERT.pem --key KEY.pem]</pre>
 */
public final class ReactorNettyFileServer {
    private ReactorNettyFileServer() {
    }

    public static void main(String[] args) {
        PeerOptions options = PeerOptions.parse("ReactorNettyFileServer", args);
        HttpServer server = HttpServer.create()
                .host(options.host())
                .port(options.port())
                .handle((request, response) -> {
                    Optional<Path> file = options.resolve(request.uri());
                    if (file.isEmpty()) {
                        return response.status(HttpResponseStatus.NOT_FOUND).send();
                    }
                    long length;
                    try {
                        length = Files.size(file.get());
                    } catch (IOException e) {
                        return Mono.error(e);
                    }
                    return response
                            .header(HttpHeaderNames.CONTENT_LENGTH, Long.toString(length))
                            .header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                            .sendFile(file.get());
                });
        if (options.tls()) {
            server = server.secure(spec -> spec.sslContext(
                    Http11SslContextSpec.forServer(Objects.requireNonNull(options.cert()).toFile(),
                                    Objects.requireNonNull(options.key()).toFile())
                            .configure(builder -> builder.sslProvider(SslProvider.JDK))));
        }
        DisposableServer disposable = server.bindNow();
        System.out.println("ReactorNettyFileServer (sendFile" + (options.tls() ? ", TLS JDK provider" : "")
                + ") serving " + options.root() + " at " + options.url());
        disposable.onDispose().block();
    }
}
