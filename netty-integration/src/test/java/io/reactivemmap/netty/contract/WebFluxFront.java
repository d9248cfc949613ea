package io.reactivemmap.netty.contract;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import io.reactivemmap.netty.spring.MappedFileHandler;
import io.reactivemmap.netty.spring.SpringServer;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Controller;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The contract against the WebFlux {@link MappedFileHandler} under {@code /files}: routed on a real Reactor Netty
 * server (zero-copy path), and bound to {@code WebTestClient}'s mock server as a router function and as an annotated
 * controller (the copy path a non-Netty server takes).
 */
abstract class WebFluxFront extends FileExchangeContract {
    /** How the handler is reached. */
    enum Way { REACTOR_NETTY, MOCK_ROUTER, MOCK_CONTROLLER }

    abstract Way way();

    @Override
    protected String prefix() {
        return "/files";
    }

    @Override
    protected boolean http1() {
        return way() == Way.REACTOR_NETTY;
    }

    @Override
    protected boolean onReactorNetty() {
        return true;
    }


    /** The mock server's client takes a {@link URI}: targets no URI can carry are a socket's business. */
    @Override
    protected List<String> hostileTargets() {
        if (way() == Way.REACTOR_NETTY) {
            return super.hostileTargets();
        }
        return super.hostileTargets().stream().filter(t -> {
            try {
                URI.create(t);
                return true;
            } catch (IllegalArgumentException notAUri) {
                return false;
            }
        }).toList();
    }

    @Controller
    @RequestMapping("/files/**")
    static final class FilesController {
        private final MappedFileHandler files;

        FilesController(MappedFileHandler files) {
            this.files = files;
        }

        @RequestMapping
        Mono<Void> file(ServerWebExchange exchange) {
            return files.serve(exchange);
        }

        /** As the guide shows: Spring answers OPTIONS itself for a mapping without methods. */
        @RequestMapping(method = RequestMethod.OPTIONS)
        Mono<Void> options(ServerWebExchange exchange) {
            return files.serve(exchange);
        }
    }

    /** The handler asks the exchange with the path below {@code /files/**}: a listing's title names that path. */
    @Override
    protected String titled(String path) {
        return path;
    }

    @Override
    protected Front start(Path root, Config config) throws Exception {
        MappedFileHandler files = MappedFileHandler.of(RootDirectory.of(root, false, config.serveHidden()),
                MapOptions.defaults().withWindowSize(WINDOW), RangeLimits.DEFAULT, config.accessLog(),
                config.cacheRules()).withPrecompressed(config.precompressed())
                .withDirectoryListings(config.directoryListings());
        RouterFunction<ServerResponse> routes = RouterFunctions.route(RequestPredicates.path("/files/**"), files);
        return switch (way()) {
            case REACTOR_NETTY -> {
                SpringServer server = SpringServer.start(RouterFunctions.toHttpHandler(routes));
                yield onSocket(server.port(), server);
            }
            case MOCK_ROUTER -> mock(WebTestClient.bindToRouterFunction(routes).build());
            case MOCK_CONTROLLER -> mock(WebTestClient.bindToController(new FilesController(files)).build());
        };
    }

    private static Front mock(WebTestClient client) {
        WebTestClient c = client.mutate().responseTimeout(Duration.ofSeconds(10)).build();
        Session session = new Session() {
            @Override
            public Reply exchange(String method, String target, byte[] body, String... headerLines) {
                WebTestClient.RequestBodySpec spec = c.method(HttpMethod.valueOf(method)).uri(URI.create(target))
                        .headers(h -> {
                            for (String line : headerLines) {
                                int colon = line.indexOf(':');
                                h.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                            }
                        });
                WebTestClient.RequestHeadersSpec<?> ready = body.length > 0 ? spec.bodyValue(body) : spec;
                EntityExchangeResult<byte[]> r = ready.exchange().expectBody().returnResult();
                Map<String, String> headers = new LinkedHashMap<>();
                r.getResponseHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(", ", v)));
                byte[] bytes = r.getResponseBodyContent();
                return new Reply(r.getStatus().value(), headers, bytes == null ? new byte[0] : bytes, false);
            }

            @Override
            public Download download(String target, String... headerLines) {
                return null; // the mock client hands over whole bodies only
            }

            @Override
            public void close() {
            }
        };
        return new Front() {
            @Override
            public Session session() {
                return session;
            }

            @Override
            public void close() {
            }
        };
    }
}
