package io.reactivemmap.netty.spring;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The WebFlux handler serves the file it checked, from the descriptor it opened, and never leaves that descriptor
 * open: written, failed, or dropped by a filter.
 */
@ExtendWith(NoLeakedWindows.class)
class MappedFileHandlerDescriptorTest {
    @TempDir
    Path dir;

    private MappedFileHandler handler(Path root) throws Exception {
        return MappedFileHandler.of(RootDirectory.of(root, false, false), MapOptions.defaults(), RangeLimits.DEFAULT);
    }

    @Test
    void theBodyIsTheFileThatWasCheckedEvenWhenThePathIsReplacedBeforeItIsWritten() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path served = root.resolve("f.txt");
        byte[] checked = "the file that was checked\n".getBytes(StandardCharsets.UTF_8);
        byte[] other = "AN OTHER FILE, SAME SIZE!\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(checked.length, other.length);
        Files.write(served, checked);
        MappedFileHandler files = handler(root);

        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/f.txt"));
        ServerResponse response = files.handle(ServerRequest.create(exchange, HandlerStrategies.withDefaults()
                .messageReaders())).block(Duration.ofSeconds(5));
        // Between planning and writing, another file takes the path (as a deploy that renames files in would).
        Path replacement = Files.write(dir.resolve("other.txt"), other);
        Files.move(replacement, served, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        java.util.Objects.requireNonNull(response).writeTo(exchange, context()).block(Duration.ofSeconds(5));
        assertEquals(200, exchange.getResponse().getStatusCode().value());
        assertArrayEquals(checked, exchange.getResponse().getBodyAsString().block(Duration.ofSeconds(5))
                .getBytes(StandardCharsets.UTF_8), "the body must be the file that was checked, not the path's new file");
        TestFiles.awaitNoDescriptors(dir);
    }

    @Test
    void aResponseThatAFilterDropsForAnotherClosesItsDescriptor() throws Exception {
        servingLeavesNoDescriptor(files -> RouterFunctions.route(RequestPredicates.path("/**"), files)
                .filter((request, next) -> next.handle(request)
                        .flatMap(dropped -> ServerResponse.ok().bodyValue("replaced by a filter\n"))), port -> {
            WireHttp.Response r = WireHttp.exchange(port, "GET", "/f.bin");
            assertEquals(200, r.status());
            assertEquals("replaced by a filter\n", new String(r.body(), StandardCharsets.UTF_8));
        });
    }

    /**
     * The handler has answered (the file is open) but the response is never committed: a filter holds it while the
     * client gives up, so it is neither written nor replaced. The descriptor must still be closed.
     */
    @Test
    void aResponseHandledButNeverCommittedBecauseTheClientLeftClosesItsDescriptor() throws Exception {
        servingLeavesNoDescriptor(files -> RouterFunctions.route(RequestPredicates.path("/**"), files)
                .filter((request, next) -> next.handle(request).delayElement(Duration.ofMillis(300))), port -> {
            try (java.net.Socket s = WireHttp.open(port)) {
                WireHttp.send(s, "GET", "/f.bin", false);
                Thread.sleep(50);
            }
        });
    }

    @Test
    void aResponseWrittenOrFailedOverReactorNettyClosesItsDescriptor() throws Exception {
        servingLeavesNoDescriptor(files -> RouterFunctions.route(RequestPredicates.path("/**"), files), port -> {
            assertEquals(200, WireHttp.exchange(port, "GET", "/f.bin").status());
            assertEquals(206, WireHttp.exchange(port, "GET", "/f.bin", "Range: bytes=0-9,100-109").status());
            assertEquals(304, WireHttp.exchange(port, "GET", "/f.bin", "If-None-Match: *").status());
        });
    }

    private interface Requests {
        void send(int port) throws Exception;
    }

    /** Serves a 256 KiB f.bin through {@code routes}, sends {@code requests} 20 times, and expects no descriptor left. */
    private void servingLeavesNoDescriptor(java.util.function.Function<MappedFileHandler, RouterFunction<ServerResponse>> routes,
                                           Requests requests) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path served = TestFiles.pattern(root, "f.bin", 256 * 1024);
        try (SpringServer server = SpringServer.start(RouterFunctions.toHttpHandler(routes.apply(handler(root))))) {
            for (int i = 0; i < 20; i++) {
                requests.send(server.port());
            }
            TestFiles.awaitNoDescriptors(served);
        }
    }

    private static ServerResponse.Context context() {
        return new ServerResponse.Context() {
            @Override
            public List<HttpMessageWriter<?>> messageWriters() {
                return HandlerStrategies.withDefaults().messageWriters();
            }

            @Override
            public List<ViewResolver> viewResolvers() {
                return List.of();
            }
        };
    }
}
