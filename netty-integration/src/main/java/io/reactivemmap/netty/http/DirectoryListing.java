package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The HTML listing of a directory without an index, what nginx's {@code autoindex} gives, made safe: only the entries
 * a request would be given, names escaped, every link a path that names exactly its entry.
 *
 * <h2>What is listed</h2>
 * An entry is listed when a {@code GET} of it would be answered with it ({@link RootDirectory#findEntry}): no hidden
 * names unless they are served, no link the link policy refuses or that leads out of the root, no FIFO, socket or
 * device; and only names a request can name ({@link RequestPath#parse} of the link gives the name back: no control
 * characters, backslashes or names over 255 bytes). A link is shown with its target's size and time.
 *
 * <h2>Order</h2>
 * Directories first, then files; each group by name in Unicode code point order (the order of the names' UTF-8
 * bytes, as nginx's {@code strcmp}), which is the same on every machine and in every locale.
 *
 * <h2>Bounds</h2>
 * At most {@code maxEntries} entries are listed and at most {@link #SCAN_FACTOR} times as many are read from the
 * directory: past either, the listing says it was truncated. The page is built on the heap; nothing is mapped.
 */
final class DirectoryListing {
    /** How many entries a listing shows at most. */
    static final int MAX_ENTRIES = 10_000;
    /** How many directory entries are read at most per listed entry allowed (hidden or refused ones cost too). */
    static final int SCAN_FACTOR = 4;
    /** The response's {@code Content-Security-Policy}: no script, no fetch, no frame; the page's own style only. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'";
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);
    private static final Comparator<Entry> ORDER = Comparator.comparing((Entry e) -> !e.directory())
            .thenComparing(Entry::name, DirectoryListing::compareCodePoints);

    private DirectoryListing() {
    }

    /**
     * One listed entry.
     *
     * @param name the file name, as a request names it
     * @param directory whether it is a directory (shown with a trailing {@code /})
     * @param size bytes (of a link's target); not shown for a directory
     * @param lastModified modification time (of a link's target)
     */
    record Entry(String name, boolean directory, long size, Instant lastModified) {
    }

    /**
     * The entries of a directory, sorted.
     *
     * @param entries at most the cap given to {@link #read}, in listing order
     * @param truncated whether the directory held more than was read or listed
     */
    record Listing(List<Entry> entries, boolean truncated) {
        Listing {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Reads {@code directory} (a real path from {@link RootDirectory#findDirectory}) under {@code root}'s rules. The
     * directory's descriptor is closed before this returns, on every path.
     *
     * @throws IOException if the directory cannot be read (permission denied, gone)
     */
    static Listing read(RootDirectory root, Path directory, int maxEntries) throws IOException {
        List<Entry> entries = new ArrayList<>();
        boolean truncated = false;
        long scanned = 0;
        long maxScanned = (long) maxEntries * SCAN_FACTOR;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path child : stream) {
                if (++scanned > maxScanned) {
                    truncated = true;
                    break;
                }
                Path fileName = child.getFileName();
                if (fileName == null) {
                    continue;
                }
                String name = fileName.toString();
                // A name whose bytes are not valid in the platform's encoding does not come back from its string:
                // a request could never name it, so it is not listed.
                if (!directory.resolve(name).equals(child) || !nameable(name)) {
                    continue;
                }
                RootDirectory.Found found = root.findEntry(directory, name);
                if (found == null) {
                    continue;
                }
                if (entries.size() == maxEntries) {
                    truncated = true;
                    break;
                }
                entries.add(new Entry(name, found.attributes().isDirectory(), found.attributes().size(),
                        found.attributes().lastModifiedTime().toInstant()));
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        entries.sort(ORDER);
        return new Listing(entries, truncated);
    }

    /** Whether a request for the link of {@code name} names exactly {@code name}. */
    static boolean nameable(String name) {
        try {
            RequestPath p = RequestPath.parse("/" + hrefSegment(name));
            return p.segments().size() == 1 && p.segments().getFirst().equals(name);
        } catch (RequestPath.InvalidPathException e) {
            return false;
        }
    }

    /**
     * The page: {@code title} is the decoded path of the directory ({@code /docs/a b/}), {@code parent} whether a
     * {@code ../} link leads up (not at the root served). UTF-8 HTML5, no script.
     */
    static byte[] html(String title, boolean parent, Listing listing, int maxEntries) {
        StringBuilder b = new StringBuilder(256 + 160 * listing.entries().size());
        String t = "Index of " + escape(title);
        b.append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(t).append("</title>\n")
                .append("<style>body{font-family:system-ui,sans-serif;margin:1em 2em}")
                .append("table{border-collapse:collapse}th,td{padding:.15em 1em .15em 0;text-align:left}")
                .append("td.size{text-align:right}</style>\n</head>\n<body>\n<h1>").append(t).append("</h1>\n")
                .append("<table>\n<thead><tr><th>Name</th><th>Size (bytes)</th><th>Last modified (UTC)</th></tr></thead>\n")
                .append("<tbody>\n");
        if (parent) {
            b.append("<tr><td><a href=\"../\">../</a></td><td class=\"size\"></td><td></td></tr>\n");
        }
        for (Entry e : listing.entries()) {
            String slash = e.directory() ? "/" : "";
            b.append("<tr><td><a href=\"").append(escape(hrefSegment(e.name()))).append(slash).append("\">")
                    .append(escape(e.name())).append(slash).append("</a></td><td class=\"size\">")
                    .append(e.directory() ? "-" : Long.toString(e.size())).append("</td><td>")
                    .append(DATE.format(e.lastModified())).append("</td></tr>\n");
        }
        b.append("</tbody>\n</table>\n");
        if (listing.truncated()) {
            b.append("<p>Listing truncated: only ").append(maxEntries).append(" entries are shown.</p>\n");
        }
        b.append("</body>\n</html>\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code text} with {@code & < > " '} as character references: safe in element text and quoted attributes. */
    static String escape(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String r = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (r != null && b == null) {
                b = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (b != null) {
                if (r != null) {
                    b.append(r);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? text : b.toString();
    }

    /**
     * {@code name} as one path segment of a URI (RFC 3986): its UTF-8 bytes, all but the unreserved
     * ({@code A-Z a-z 0-9 - . _ ~}) percent-encoded. Nothing in it can end the segment or start a query, a fragment or
     * a scheme ({@code :} is encoded too), so the relative link names exactly this entry.
     */
    static String hrefSegment(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(bytes.length + 8);
        for (byte x : bytes) {
            int c = x & 0xFF;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return b.toString();
    }

    /** A weak tag of the page's bytes: the same listing gives the same tag on every replica. */
    static EntityTag etag(byte[] page) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(page);
            return new EntityTag("l-" + HexFormat.of().formatHex(digest, 0, 12), true);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The verdict of a listing's conditionals (RFC 9110 §13.2.2) given its weak {@code etag}: {@code If-Match} (strong
     * comparison, which a weak tag never passes, so anything but {@code *} fails: 412), then {@code If-None-Match}
     * (weak comparison: 304). Dates are not looked at: a listing has no {@code Last-Modified}.
     */
    static Preconditions.Verdict evaluate(io.netty.handler.codec.http.HttpHeaders headers, EntityTag etag) {
        String ifMatch = list(headers, io.netty.handler.codec.http.HttpHeaderNames.IF_MATCH);
        if (ifMatch != null && !ifMatch.strip().equals("*")) {
            return Preconditions.Verdict.PRECONDITION_FAILED;
        }
        String ifNoneMatch = list(headers, io.netty.handler.codec.http.HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            if (ifNoneMatch.strip().equals("*")) {
                return Preconditions.Verdict.NOT_MODIFIED;
            }
            List<EntityTag> tags = EntityTag.parseList(ifNoneMatch);
            if (tags != null) {
                for (EntityTag tag : tags) {
                    if (tag.weakMatch(etag)) {
                        return Preconditions.Verdict.NOT_MODIFIED;
                    }
                }
            }
        }
        return Preconditions.Verdict.PROCEED;
    }

    private static @Nullable String list(io.netty.handler.codec.http.HttpHeaders headers, CharSequence name) {
        List<String> lines = headers.getAll(name);
        return lines.isEmpty() ? null : String.join(", ", lines);
    }

    /** Orders by code point (UTF-8 byte order), not by UTF-16 unit: a name with an emoji sorts after U+FFFF. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}
