package io.reactivemmap.netty.spring.boot;

import io.reactivemmap.netty.http.RequestPath;
import io.reactivemmap.netty.spring.MappedFileHandler;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.server.PathContainer;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.AbstractHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A WebFlux {@link HandlerMapping} that serves directories through {@link MappedFileHandler}s, each at a URL pattern,
 * ordered just before Spring's own resource handling ({@code Ordered.LOWEST_PRECEDENCE - 2}; Spring's is
 * {@code - 1}): controllers and functional routes still come first, as with Spring's static resources.
 *
 * <p>For a request under a pattern, the directories of that pattern are asked in order:
 * <ul>
 *   <li>the first that has a servable file (or a directory with {@code index.html}) for the path answers it;</li>
 *   <li>a path that exists in one of them but that its rules refuse (a hidden name, a symbolic link out of the root,
 *       a directory without an index, a FIFO) is answered by that directory's handler ({@code 404}), and so is a path
 *       that is not a valid file path at all ({@code 400}): neither ever reaches Spring's handler, which does not
 *       keep those rules;</li>
 *   <li>a path that exists in none of them is left to the next mapping (Spring's handler for {@code classpath:}
 *       locations, then {@code 404}).</li>
 * </ul>
 * Methods other than {@code GET} and {@code HEAD} on a served file get {@code 405} with {@code Allow}.
 *
 * <h2>Ownership</h2>
 * Nothing is mapped here: each response's windows belong to the {@link MappedFileHandler} that answers it, which
 * closes them when the write ends (complete, error, or the client going away).
 */
public final class MappedStaticFiles extends AbstractHandlerMapping {
    /** One URL pattern and the directories served under it, in order. */
    private record Mount(PathPattern pattern, List<MappedFileHandler> handlers) {
    }

    private final List<Mount> mounts;

    private MappedStaticFiles(List<Mount> mounts) {
        this.mounts = List.copyOf(mounts);
        setOrder(Ordered.LOWEST_PRECEDENCE - 2);
    }

    /** A builder with no mounts. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether this mapping serves anything (a mapping with no mounts answers no request). */
    public boolean isEmpty() {
        return mounts.isEmpty();
    }

    /** The directories served, pattern by pattern, for logs and diagnostics: {@code /**=[/srv/files, /srv/more]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("MappedStaticFiles");
        for (Mount m : mounts) {
            b.append(' ').append(m.pattern().getPatternString()).append('=')
                    .append(m.handlers().stream().map(h -> h.root().path().toString()).toList());
        }
        return b.toString();
    }

    @Override
    protected Mono<?> getHandlerInternal(ServerWebExchange exchange) {
        PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
        for (Mount mount : mounts) {
            if (!mount.pattern().matches(path)) {
                continue;
            }
            PathContainer within = mount.pattern().extractPathWithinPattern(path);
            String target = "/" + within.value();
            if (path.value().endsWith("/") && !target.endsWith("/")) {
                target += "/";
            }
            MappedFileHandler handler = choose(mount.handlers(), target);
            if (handler != null) {
                exchange.getAttributes().put(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, mount.pattern());
                exchange.getAttributes().put(HandlerMapping.PATH_WITHIN_HANDLER_MAPPING_ATTRIBUTE, within);
                String served = target;
                return Mono.just((WebHandler) ex -> handler.serve(ex, served));
            }
        }
        return Mono.empty();
    }

    /** The handler that answers {@code target} (see the class comment), or null to leave it to the next mapping. */
    private static @Nullable MappedFileHandler choose(List<MappedFileHandler> handlers, String target) {
        RequestPath request;
        try {
            request = RequestPath.parse(target);
        } catch (RequestPath.InvalidPathException e) {
            return handlers.getFirst(); // it answers 400, as the file server does
        }
        MappedFileHandler refusing = null;
        for (MappedFileHandler handler : handlers) {
            if (handler.root().find(request) != null) {
                return handler;
            }
            if (refusing == null && handler.root().holds(request)) {
                refusing = handler;
            }
        }
        return refusing;
    }

    /** Collects the mounts of a {@link MappedStaticFiles}. */
    public static final class Builder {
        private final List<Mount> mounts = new ArrayList<>();

        private Builder() {
        }

        /**
         * Serves {@code handlers}, in this order, under {@code pattern} (a WebFlux path pattern ending in {@code /**},
         * such as {@code /files/**}). Adding the same pattern again adds its handlers after those already there.
         *
         * @throws IllegalArgumentException naming the pattern if it does not end in {@code /**}
         */
        public Builder mount(String pattern, List<MappedFileHandler> handlers) {
            Objects.requireNonNull(pattern, "pattern");
            if (!pattern.endsWith("/**")) {
                throw new IllegalArgumentException("path pattern \"" + pattern + "\" must end in /** (the path below it "
                        + "names the file), e.g. /files/** or /**");
            }
            if (handlers.isEmpty()) {
                return this;
            }
            PathPattern parsed = PathPatternParser.defaultInstance.parse(pattern);
            for (int i = 0; i < mounts.size(); i++) {
                if (mounts.get(i).pattern().equals(parsed)) {
                    List<MappedFileHandler> all = new ArrayList<>(mounts.get(i).handlers());
                    all.addAll(handlers);
                    mounts.set(i, new Mount(parsed, all));
                    return this;
                }
            }
            mounts.add(new Mount(parsed, List.copyOf(handlers)));
            return this;
        }

        /** The mapping; a request is matched against the most specific pattern first ({@code /files/**} before {@code /**}). */
        public MappedStaticFiles build() {
            List<Mount> ordered = new ArrayList<>(mounts);
            ordered.sort(Comparator.comparing(Mount::pattern, PathPattern.SPECIFICITY_COMPARATOR));
            return new MappedStaticFiles(ordered);
        }
    }
}
