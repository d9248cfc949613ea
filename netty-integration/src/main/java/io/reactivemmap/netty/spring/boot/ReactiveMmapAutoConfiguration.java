package io.reactivemmap.netty.spring.boot;

import io.reactivemmap.MapOptions;
import io.reactivemmap.internal.NativeAccess;
import io.reactivemmap.micrometer.MappingMeters;
import io.reactivemmap.netty.http.CacheRules;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import io.reactivemmap.netty.spring.MappedFileHandler;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.web.WebProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webflux.autoconfigure.WebFluxProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves a WebFlux application's files through {@link MappedFileHandler} once this artifact is on its class path:
 * the directory named by {@code reactive-mmap.static.root} (at {@code reactive-mmap.static.path-pattern}, {@code /**}
 * by default) and every {@code file:} entry of {@code spring.web.resources.static-locations} (at
 * {@code spring.webflux.static-path-pattern}), each as mapped windows with ranges (single and multipart),
 * {@code If-Range}, {@code 304}/{@code 412}/{@code 416}, the file server's path rules, and precompressed siblings when
 * {@code reactive-mmap.static.precompressed=true}. See {@link ReactiveMmapStaticProperties} for every property.
 *
 * <ul>
 *   <li>{@code classpath:} locations stay with Spring's resource handler (a resource inside a jar cannot be mapped);
 *       start-up says so once, at {@code INFO}.</li>
 *   <li>Backs off when {@code reactive-mmap.static.enabled=false}, when the application defines its own
 *       {@link MappedFileHandler} or {@link MappedStaticFiles} bean, or when {@code spring.web.resources.add-mappings}
 *       is false and no {@code reactive-mmap.static.root} is set.</li>
 *   <li>With Micrometer on the class path, a {@link MappingMeters} bean (a {@code MeterBinder}) puts the mapping
 *       meters ({@code reactivemmap.windows.live}, {@code reactivemmap.mapped}, ...) on the application's registries,
 *       unless the application defines its own.</li>
 *   <li>A {@code file:} location that does not exist is skipped with a warning (as Spring skips it); a
 *       {@code reactive-mmap.static.root} that is missing or not a directory stops the start-up with a message
 *       naming it.</li>
 * </ul>
 */
@AutoConfiguration(afterName = "org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({MappedFileHandler.class, WebFluxProperties.class})
@ConditionalOnBooleanProperty(name = "reactive-mmap.static.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ReactiveMmapStaticProperties.class)
public final class ReactiveMmapAutoConfiguration {
    private static final System.Logger LOG = System.getLogger(ReactiveMmapAutoConfiguration.class.getName());

    /** Created by Spring. */
    public ReactiveMmapAutoConfiguration() {
    }

    /**
     * The mapping that serves the configured directories (see the class comment).
     *
     * @throws IllegalStateException naming {@code reactive-mmap.static.root} if it is not a readable directory
     */
    @Bean
    @ConditionalOnMissingBean({MappedStaticFiles.class, MappedFileHandler.class})
    public MappedStaticFiles reactiveMmapStaticFiles(ReactiveMmapStaticProperties properties,
                                                     ObjectProvider<WebProperties> web,
                                                     ObjectProvider<WebFluxProperties> webFlux) {
        MappedStaticFiles.Builder files = MappedStaticFiles.builder();
        Path root = properties.getRoot();
        if (root != null) {
            if (!Files.isDirectory(root)) {
                throw new IllegalStateException("reactive-mmap.static.root=" + root.toAbsolutePath() + " is "
                        + (Files.exists(root) ? "not a directory" : "missing") + ": name the directory to serve, or "
                        + "remove the property");
            }
            files.mount(properties.getPathPattern(), List.of(handler(root, properties)));
        }
        WebProperties.Resources resources = web.getIfAvailable(WebProperties::new).getResources();
        if (properties.isStaticLocations() && resources.isAddMappings()) {
            List<MappedFileHandler> handlers = new ArrayList<>();
            List<String> left = new ArrayList<>();
            for (String location : resources.getStaticLocations()) {
                if (!location.startsWith("file:")) {
                    left.add(location);
                    continue;
                }
                Path dir = Path.of(location.substring("file:".length()));
                if (!Files.isDirectory(dir)) {
                    LOG.log(Level.WARNING, "static location " + location + " (" + dir.toAbsolutePath()
                            + ") is not a directory: not served");
                    continue;
                }
                handlers.add(handler(dir, properties));
            }
            String pattern = webFlux.getIfAvailable(WebFluxProperties::new).getStaticPathPattern();
            files.mount(pattern, handlers);
            if (!left.isEmpty()) {
                LOG.log(Level.INFO, "static locations " + left + " stay with Spring's resource handler: only file: "
                        + "locations can be mapped (a classpath resource may be inside a jar)");
            }
        }
        MappedStaticFiles built = files.build();
        // Said once at start-up: without native access (a JVM started without --enable-native-access, or a jar
        // without the Enable-Native-Access manifest attribute) files are still served, but with no madvise.
        String advice = NativeAccess.available() ? "page-cache advice on"
                : "page-cache advice off: " + NativeAccess.unavailableReason().orElse("unknown");
        LOG.log(Level.INFO, () -> (built.isEmpty()
                ? "reactive-mmap: no file: location and no reactive-mmap.static.root: nothing mapped"
                : "reactive-mmap serves " + built) + "; " + advice);
        return built;
    }

    private static MappedFileHandler handler(Path dir, ReactiveMmapStaticProperties p) {
        MapOptions options = MapOptions.defaults().withWindowSize(p.getWindowSize().toBytes())
                .withMaxLiveBytes(p.getMaxBytesPerResponse().toBytes());
        CacheRules cache = p.getCacheControl() == null ? CacheRules.NONE
                : CacheRules.builder().defaultCacheControl(p.getCacheControl()).build();
        try {
            RootDirectory root = RootDirectory.of(dir, p.isFollowSymlinksOutside(), p.isServeHidden());
            return MappedFileHandler.of(root, options, RangeLimits.DEFAULT,
                    io.reactivemmap.netty.http.AccessLog.SYSTEM_LOGGER, cache).withPrecompressed(p.isPrecompressed());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** The mapping meters, when Micrometer is on the class path; Boot binds every {@code MeterBinder} bean. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Meters {
        @Bean
        @ConditionalOnMissingBean
        MappingMeters reactiveMmapMappingMeters() {
            return new MappingMeters().withBudget("global", io.reactivemmap.MappingBudget.global());
        }
    }
}
