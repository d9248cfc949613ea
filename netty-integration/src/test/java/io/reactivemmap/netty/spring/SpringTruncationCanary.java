package io.reactivemmap.netty.spring;

import io.reactivemmap.MappingStats;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The child JVM of {@link SpringTruncationForkedTest}: Spring WebFlux on Reactor Netty, port 0, serving the directory
 * {@code args[0]} under {@code /files/} with {@link MappedFileHandler#of(Path)} (the defaults a user gets), and
 * {@code /stats} answering {@code liveWindows=N mappedBytes=M} from {@link MappingStats}. Prints {@code PORT n} when
 * listening; stops when a line {@code stop} (or the end of input) arrives on stdin, then prints
 * {@link #STOPPED} with the final stats and returns from {@code main}: the JVM must then exit by itself, with 0.
 */
public final class SpringTruncationCanary {
    static final String STOPPED = "SPRING-TRUNCATION-CANARY-STOPPED";

    private SpringTruncationCanary() {
    }

    public static void main(String[] args) throws Exception {
        MappedFileHandler files = MappedFileHandler.of(Path.of(args[0]));
        RouterFunction<ServerResponse> routes = RouterFunctions.route(RequestPredicates.path("/files/**"), files)
                .andRoute(RequestPredicates.GET("/stats"), request -> ServerResponse.ok().bodyValue(stats()));
        SpringServer server = SpringServer.start(RouterFunctions.toHttpHandler(routes));
        System.out.println("PORT " + server.port());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.strip().equals("stop"); ) {
            // wait for the parent's word
        }
        server.close();
        System.out.println(STOPPED + " " + stats());
    }

    private static String stats() {
        MappingStats s = MappingStats.snapshot();
        return "liveWindows=" + s.liveWindows() + " mappedBytes=" + s.mappedBytes();
    }
}
