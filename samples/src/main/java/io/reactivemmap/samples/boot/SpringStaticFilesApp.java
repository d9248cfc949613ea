package io.reactivemmap.samples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

import java.util.Map;

/**
 * A Spring Boot 4 WebFlux application that serves a directory as mapped windows with no code of its own: the
 * auto-configuration in {@code netty-integration} ({@code io.reactivemmap.netty.spring.boot}) reads
 * {@code samples/src/main/resources/static-files.properties}:
 *
 * <pre>
 * mvn -B -q -pl samples -am process-classes -Pspring-serve -Dspring.app=io.reactivemmap.samples.boot.SpringStaticFilesApp \
 *     -Dspring.args="--reactive-mmap.static.root=/srv/files"
 * curl -r 0-99 http://127.0.0.1:8080/files/some-file
 * </pre>
 *
 * Any property can be given as {@code --name=value}; {@code server.port=0} picks a free port, which Boot logs
 * ("Netty started on port N").
 */
@SpringBootApplication
public class SpringStaticFilesApp {
    /** Starts the application. */
    public static void main(String[] args) {
        application().run(args);
    }

    /** The application, reading {@code static-files.properties} (instead of {@code application.properties}). */
    public static SpringApplication application() {
        SpringApplication app = new SpringApplication(SpringStaticFilesApp.class);
        app.setDefaultProperties(Map.of("spring.config.name", "static-files"));
        return app;
    }
}
