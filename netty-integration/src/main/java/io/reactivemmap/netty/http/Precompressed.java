package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Precompressed siblings, as nginx's {@code gzip_static} and {@code brotli_static}: when {@code name.br} or
 * {@code name.gz} sits beside a requested {@code name} and the request's {@code Accept-Encoding}
 * ({@link AcceptEncoding}) takes that coding, the sibling is served instead, as the same resource in another content
 * coding. A sibling is found through {@link RootDirectory#openFile} like any requested file, so it passes the same
 * checks (inside the root, hidden names, symbolic-link policy, a regular file); one that fails them does not exist
 * here. The sibling is just another opened file: every body sender sends it zero-copy, ranges and all.
 *
 * <h2>What a response gets</h2>
 * <ul>
 *   <li>Served encoded: {@code Content-Encoding: br} or {@code gzip}, the {@code Content-Type} of {@code name}, and
 *   the sibling's own validators: {@code Last-Modified} its modification time, an {@code ETag} made of its size and
 *   modification time plus the coding ({@code "<mtime>-<size>-br"}), so that no cache or {@code If-Range} takes one
 *   coding's bytes for another's, nor for those of {@code name.gz} requested by its own name. {@code Range} counts the
 *   encoded bytes, as does {@code Content-Range}.</li>
 *   <li>{@code Vary: Accept-Encoding} on every response of {@code name} whose content could have been another one:
 *   whenever at least one sibling exists, the identity {@code 200} included, and {@code 206}, {@code 304}, {@code 412},
 *   {@code 416} and {@code HEAD}. A file without siblings gets no {@code Vary}: its answer never depends on the
 *   field.</li>
 *   <li>A client that refuses the identity ({@code identity;q=0}, or {@code *;q=0}) and takes no coding a sibling
 *   has gets the identity anyway, as nginx does: RFC 9110 §12.1 lets a server disregard the field, and a {@code 406}
 *   would break a download over an odd header for nothing.</li>
 *   <li>At equal weight {@code br} is preferred to {@code gzip}, and either to the identity; a higher weight wins
 *   ({@code gzip;q=1, br;q=0.5} gets {@code gzip}; {@code gzip;q=0.5, identity} gets the identity).</li>
 * </ul>
 * A request for {@code name.gz} itself is served as that file: {@code application/gzip}, no {@code Content-Encoding}.
 * Nothing is compressed on the fly: it costs CPU for every byte of every response, and the compressed bytes exist
 * only in user-space buffers, so no {@code sendfile} and no mapped window could carry them.
 */
final class Precompressed {
    /** The name a directory serves, as {@link RootDirectory} does. */
    private static final String INDEX = "index.html";

    private Precompressed() {
    }

    /** A content coding a sibling may have, with the suffix of its file name. */
    enum Coding {
        /** Brotli, {@code name.br}. */
        BR("br", ".br"),
        /** gzip, {@code name.gz}. */
        GZIP("gzip", ".gz");

        final String token;
        final String suffix;

        Coding(String token, String suffix) {
            this.token = token;
            this.suffix = suffix;
        }
    }

    /**
     * What to serve for one request.
     *
     * @param file the file to send: the sibling when {@code coding} is set, else the requested file
     * @param representation what to plan with: the sibling's size and validators with the requested name's type
     * @param coding the content coding of {@code file}, or {@code null} for the identity
     * @param vary whether the response depends on {@code Accept-Encoding} (a sibling exists)
     */
    record Variant(RootDirectory.Opened file, Representation representation, @Nullable Coding coding, boolean vary) {
        /** {@code Vary} on every response, {@code Content-Encoding} on those that carry content ({@code 200}, {@code 206}). */
        void decorate(HttpHeaders response, int status) {
            if (vary) {
                response.add(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
            }
            if (coding != null && (status == 200 || status == 206)) {
                response.set(HttpHeaderNames.CONTENT_ENCODING, coding == Coding.BR ? HttpHeaderValues.BR
                        : HttpHeaderValues.GZIP);
            }
        }
    }

    /** The requested file as it is, not negotiated (the option is off). */
    static Variant identity(RootDirectory.Opened file) {
        return new Variant(file, file.representation(), null, false);
    }

    /**
     * Chooses between {@code opened} (the file the request names, {@code below} the prefix) and its siblings. When a
     * sibling is chosen, {@code opened} is closed and the sibling's {@link RootDirectory.Opened} is in the variant, owned
     * by the caller as {@code opened} was. Probing for a sibling opens it (one {@code openat2} and {@code fstat} where
     * available); a sibling not served is closed at once.
     */
    static Variant choose(RootDirectory root, RootDirectory.Opened opened, RequestPath below,
                          List<String> acceptEncoding) {
        List<String> base = baseSegments(below, opened.path());
        AcceptEncoding accepted = AcceptEncoding.parse(acceptEncoding);
        List<Coding> order = preference(accepted);
        for (Coding coding : order) {
            RootDirectory.Opened sibling = open(root, base, coding);
            if (sibling != null) {
                Representation rep;
                try {
                    Representation own = sibling.representation();
                    rep = new Representation(own.size(), own.lastModified(),
                            EntityTag.strong(own.etag().opaque() + "-" + coding.token),
                            opened.representation().contentType());
                } catch (RuntimeException e) {
                    FileExchange.FileResponse.closeQuietly(sibling);
                    throw e;
                }
                FileExchange.FileResponse.closeQuietly(opened);
                return new Variant(sibling, rep, coding, true);
            }
        }
        boolean vary = false;
        for (Coding coding : Coding.values()) {
            if (!order.contains(coding)) {
                RootDirectory.Opened sibling = open(root, base, coding);
                if (sibling != null) {
                    FileExchange.FileResponse.closeQuietly(sibling);
                    vary = true;
                    break;
                }
            }
        }
        return new Variant(opened, opened.representation(), null, vary);
    }

    /** The codings {@code accepted} prefers to the identity, best first ({@code br} before {@code gzip} at equal weight). */
    static List<Coding> preference(AcceptEncoding accepted) {
        List<Coding> order = new ArrayList<>(2);
        boolean br = accepted.prefersOverIdentity(accepted.br());
        boolean gzip = accepted.prefersOverIdentity(accepted.gzip());
        if (br && gzip && accepted.gzip() > accepted.br()) {
            order.add(Coding.GZIP);
            order.add(Coding.BR);
        } else {
            if (br) {
                order.add(Coding.BR);
            }
            if (gzip) {
                order.add(Coding.GZIP);
            }
        }
        return order;
    }

    /**
     * The path the siblings sit beside: the request's own segments below the prefix (the name the client asked for,
     * as nginx looks for {@code $uri.gz}), with {@code index.html} added when the request named a directory and its
     * index was served.
     */
    private static List<String> baseSegments(RequestPath below, Path served) {
        List<String> segments = below.segments();
        Path name = served.getFileName();
        boolean index = name != null && name.toString().equals(INDEX)
                && (below.trailingSlash() || segments.isEmpty() || !segments.get(segments.size() - 1).equals(INDEX));
        if (!index) {
            return segments;
        }
        List<String> withIndex = new ArrayList<>(segments);
        withIndex.add(INDEX);
        return withIndex;
    }

    /** The sibling of {@code base} for {@code coding}, opened and checked like any requested file, or null. */
    private static RootDirectory.@Nullable Opened open(RootDirectory root, List<String> base, Coding coding) {
        if (base.isEmpty()) {
            return null;
        }
        List<String> segments = new ArrayList<>(base);
        segments.set(segments.size() - 1, segments.get(segments.size() - 1) + coding.suffix);
        try {
            return root.openFile(new RequestPath(segments, false));
        } catch (IOException | SecurityException e) {
            return null; // found but not openable: as for a requested file, it is not there
        }
    }
}
