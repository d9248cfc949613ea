package io.reactivemmap.netty.http;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Content types by file-name extension, from a small built-in table; {@code application/octet-stream} for anything
 * else. Text types carry {@code ; charset=utf-8}, the encoding of nearly every text file served today (a file in
 * another encoding is better served under a different name than guessed at).
 */
public final class ContentTypes {
    /** The type of a file whose extension is unknown. */
    public static final String DEFAULT = "application/octet-stream";

    private static final Map<String, String> BY_EXTENSION = Map.ofEntries(
            Map.entry("html", "text/html"), Map.entry("htm", "text/html"),
            Map.entry("css", "text/css"), Map.entry("js", "text/javascript"), Map.entry("mjs", "text/javascript"),
            Map.entry("txt", "text/plain"), Map.entry("text", "text/plain"), Map.entry("log", "text/plain"),
            Map.entry("md", "text/markdown"), Map.entry("csv", "text/csv"), Map.entry("tsv", "text/tab-separated-values"),
            Map.entry("xml", "text/xml"), Map.entry("json", "application/json"), Map.entry("map", "application/json"),
            Map.entry("wasm", "application/wasm"), Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"), Map.entry("tgz", "application/gzip"),
            Map.entry("bz2", "application/x-bzip2"), Map.entry("xz", "application/x-xz"), Map.entry("zst", "application/zstd"),
            Map.entry("tar", "application/x-tar"), Map.entry("7z", "application/x-7z-compressed"),
            Map.entry("jar", "application/java-archive"), Map.entry("iso", "application/x-iso9660-image"),
            Map.entry("bin", DEFAULT), Map.entry("img", DEFAULT),
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"), Map.entry("avif", "image/avif"),
            Map.entry("svg", "image/svg+xml"), Map.entry("ico", "image/x-icon"), Map.entry("bmp", "image/bmp"),
            Map.entry("mp4", "video/mp4"), Map.entry("m4v", "video/mp4"), Map.entry("webm", "video/webm"),
            Map.entry("mkv", "video/x-matroska"), Map.entry("mov", "video/quicktime"), Map.entry("avi", "video/x-msvideo"),
            Map.entry("mp3", "audio/mpeg"), Map.entry("m4a", "audio/mp4"), Map.entry("ogg", "audio/ogg"),
            Map.entry("oga", "audio/ogg"), Map.entry("opus", "audio/opus"), Map.entry("wav", "audio/wav"),
            Map.entry("flac", "audio/flac"),
            Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"), Map.entry("ttf", "font/ttf"),
            Map.entry("otf", "font/otf"));

    private ContentTypes() {
    }

    /** The content type for a file named {@code fileName} (only the part after the last dot is looked at). */
    public static String forFileName(String fileName) {
        Objects.requireNonNull(fileName, "fileName");
        int dot = fileName.lastIndexOf('.');
        if (dot < 0 || dot == fileName.length() - 1) {
            return DEFAULT;
        }
        String type = BY_EXTENSION.get(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            return DEFAULT;
        }
        return isText(type) ? type + "; charset=utf-8" : type;
    }

    private static boolean isText(String type) {
        return type.startsWith("text/") || type.equals("application/json") || type.equals("image/svg+xml");
    }
}
