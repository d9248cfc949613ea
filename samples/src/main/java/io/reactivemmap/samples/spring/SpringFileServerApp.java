package io.reactivemmap.samples.spring;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import io.reactivemmap.netty.spring.MappedFileHandler;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Controller;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Spring Boot 4 + WebFlux on Reactor Netty, serving a directory as mapped windows (zero-copy to the socket), with
 * ranges, multipart ranges, {@code If-Range}, {@code 304}/{@code 412}/{@code 416} and safe paths.
 *
 * <pre>
 * mvn -B -q -pl samples -am process-classes -Pspring-serve -Dspring.args="--files.root=/srv/files --server.port=8080"
 * curl -r 0-99 http://127.0.0.1:8080/files/some-file      # functional route
 * curl -I http://127.0.0.1:8080/download/some-file        # the same files through an annotated controller
 * </pre>
 *
 * Properties (as {@code --name=value} arguments): {@code files.root} (default: the current directory),
 * {@code files.window-size} (default 16MB), {@code files.max-live-bytes} per download (default 64MB),
 * {@code server.port} (default 8080), {@code server.address} (default 127.0.0.1). Ctrl-C stops it.
 */
@SpringBootApplication
public class SpringFileServerApp {
    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(SpringFileServerApp.class);
        app.setDefaultProperties(Map.of("server.address", "127.0.0.1", "server.port", "8080",
                "spring.main.banner-mode", "off"));
        app.run(args);
    }

    /** One handler for both styles below; windows are closed by the server after each write, or on disconnect. */
    @Bean
    MappedFileHandler mappedFileHandler(@Value("${files.root:.}") Path root,
                                        @Value("${files.window-size:16MB}") DataSize windowSize,
                                        @Value("${files.max-live-bytes:64MB}") DataSize maxLiveBytes) throws IOException {
        MapOptions options = MapOptions.defaults().withWindowSize(windowSize.toBytes()).withMaxLiveBytes(maxLiveBytes.toBytes());
        return MappedFileHandler.of(RootDirectory.of(root, false, false), options, RangeLimits.DEFAULT);
    }

    /** Functional style: everything below /files/ names a file under the root (GET and HEAD; other methods get 405). */
    @Bean
    RouterFunction<ServerResponse> fileRoutes(MappedFileHandler files) {
        return RouterFunctions.route(RequestPredicates.path("/files/**"), files);
    }

    /** Annotated style: the same files below /download/. */
    @Controller
    static class DownloadController {
        private final MappedFileHandler files;

        DownloadController(MappedFileHandler files) {
            this.files = files;
        }

        // Every method, so that the handler answers 405 with Allow: GET, HEAD. OPTIONS is mapped on its own:
        // for a mapping without methods Spring answers OPTIONS itself (200, Allow listing every method).
        @RequestMapping("/download/**")
        Mono<Void> download(ServerWebExchange exchange) {
            return files.serve(exchange);
        }

        @RequestMapping(path = "/download/**", method = RequestMethod.OPTIONS)
        Mono<Void> options(ServerWebExchange exchange) {
            return files.serve(exchange);
        }
    }

    /** Prints where to point a browser or {@code curl} once the server listens. */
    @EventListener
    void ready(ApplicationReadyEvent event) {
        Environment env = event.getApplicationContext().getEnvironment();
        Path root = event.getApplicationContext().getBean(MappedFileHandler.class).root().path();
        System.out.println("Serving " + root + " at http://" + env.getProperty("server.address", "127.0.0.1") + ":"
                + env.getProperty("local.server.port") + "/files/ (Ctrl-C stops)");
    }
}
