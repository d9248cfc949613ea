package io.reactivemmap.netty.spring.boot;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;

/**
 * The {@code reactive-mmap.static.*} properties of {@link ReactiveMmapAutoConfiguration}, bound with Boot's relaxed
 * binding ({@code reactive-mmap.static.window-size=8MB}, {@code REACTIVE_MMAP_STATIC_WINDOWSIZE=8MB}).
 *
 * <pre>
 * reactive-mmap.static.root=/srv/files          # served at reactive-mmap.static.path-pattern (default /**)
 * reactive-mmap.static.path-pattern=/files/**
 * reactive-mmap.static.window-size=16MB
 * reactive-mmap.static.max-bytes-per-response=64MB
 * reactive-mmap.static.cache-control=public, max-age=3600
 * reactive-mmap.static.enabled=false            # Spring's own resource handling again
 * </pre>
 */
@ConfigurationProperties("reactive-mmap.static")
public class ReactiveMmapStaticProperties {
    /** Whether the mapped file serving is on; false leaves static resources to Spring's own handler. */
    private boolean enabled = true;
    /** A directory to serve at path-pattern, before the file: static locations. */
    private @Nullable Path root;
    /** The URL pattern the root is served at, ending in /** (the path below it names the file). */
    private String pathPattern = "/**";
    /**
     * Whether the file: entries of spring.web.resources.static-locations are served too (classpath: entries stay with
     * Spring: a resource inside a jar cannot be mapped).
     */
    private boolean staticLocations = true;
    /** Bytes per mapped window. */
    private DataSize windowSize = DataSize.ofMegabytes(16);
    /** Bytes one response may hold mapped at once. */
    private DataSize maxBytesPerResponse = DataSize.ofMegabytes(64);
    /** The Cache-Control of every file response, e.g. "public, max-age=3600"; none when unset. */
    private @Nullable String cacheControl;
    /** Whether names starting with a dot are served. */
    private boolean serveHidden;
    /** Whether symbolic links leading outside a served directory are followed. */
    private boolean followSymlinksOutside;
    /**
     * Whether name.br / name.gz beside name are served to clients that accept them (nothing is compressed on the
     * fly).
     */
    private boolean precompressed;

    /** Creates the properties with their defaults. */
    public ReactiveMmapStaticProperties() {
    }

    /** Whether the auto-configuration serves anything; {@code false} leaves static resources to Spring. Default true. */
    public boolean isEnabled() {
        return enabled;
    }

    /** See {@link #isEnabled()}. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** A directory to serve at {@link #getPathPattern()}, before the {@code file:} static locations; none by default. */
    public @Nullable Path getRoot() {
        return root;
    }

    /** See {@link #getRoot()}. */
    public void setRoot(@Nullable Path root) {
        this.root = root;
    }

    /**
     * The URL pattern {@link #getRoot()} is served at, ending in {@code /**}: the path below it names the file.
     * Default {@code /**}. (The {@code file:} static locations are served at {@code spring.webflux.static-path-pattern},
     * as Spring serves them.)
     */
    public String getPathPattern() {
        return pathPattern;
    }

    /** See {@link #getPathPattern()}. */
    public void setPathPattern(String pathPattern) {
        this.pathPattern = pathPattern;
    }

    /**
     * Whether the {@code file:} entries of {@code spring.web.resources.static-locations} are served too (in their
     * order, after {@link #getRoot()}). {@code classpath:} entries always stay with Spring's handler: a resource inside
     * a jar cannot be mapped. Default true.
     */
    public boolean isStaticLocations() {
        return staticLocations;
    }

    /** See {@link #isStaticLocations()}. */
    public void setStaticLocations(boolean staticLocations) {
        this.staticLocations = staticLocations;
    }

    /** Bytes per mapped window ({@code MapOptions.withWindowSize}). Default 16MB. */
    public DataSize getWindowSize() {
        return windowSize;
    }

    /** See {@link #getWindowSize()}. */
    public void setWindowSize(DataSize windowSize) {
        this.windowSize = windowSize;
    }

    /** Bytes one response may hold mapped at once ({@code MapOptions.withMaxLiveBytes}). Default 64MB. */
    public DataSize getMaxBytesPerResponse() {
        return maxBytesPerResponse;
    }

    /** See {@link #getMaxBytesPerResponse()}. */
    public void setMaxBytesPerResponse(DataSize maxBytesPerResponse) {
        this.maxBytesPerResponse = maxBytesPerResponse;
    }

    /** The {@code Cache-Control} of every file response, e.g. {@code public, max-age=3600}; none by default. */
    public @Nullable String getCacheControl() {
        return cacheControl;
    }

    /** See {@link #getCacheControl()}. */
    public void setCacheControl(@Nullable String cacheControl) {
        this.cacheControl = cacheControl;
    }

    /** Whether names starting with a dot are served. Default false. */
    public boolean isServeHidden() {
        return serveHidden;
    }

    /** See {@link #isServeHidden()}. */
    public void setServeHidden(boolean serveHidden) {
        this.serveHidden = serveHidden;
    }

    /** Whether symbolic links leading outside a served directory are followed. Default false. */
    public boolean isFollowSymlinksOutside() {
        return followSymlinksOutside;
    }

    /** See {@link #isFollowSymlinksOutside()}. */
    public void setFollowSymlinksOutside(boolean followSymlinksOutside) {
        this.followSymlinksOutside = followSymlinksOutside;
    }

    /**
     * Whether {@code name.br} / {@code name.gz} beside {@code name} are served to clients that accept them (as nginx's
     * {@code gzip_static}); nothing is compressed on the fly. Default false.
     */
    public boolean isPrecompressed() {
        return precompressed;
    }

    /** See {@link #isPrecompressed()}. */
    public void setPrecompressed(boolean precompressed) {
        this.precompressed = precompressed;
    }
}
