package io.reactivemmap;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A record is longer than {@link RecordOptions#maxRecordLength()}: signalled through {@code onError} by
 * {@link MappedRecords} instead of buffering it. Usually the delimiter is wrong (a file with {@code '\r'}-only line
 * endings read as {@code '\n'} lines, a binary file read as text); otherwise raise the limit.
 */
public final class RecordTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final long offset;
    private final int limit;

    /** An exception whose message names the record's file and offset, the limit and the delimiter, and what to change. */
    public RecordTooLongException(Path path, long offset, int limit, byte delimiter) {
        super("the record starting at offset " + offset + " of " + path + " is longer than the limit of " + limit
                + " bytes (no delimiter " + describe(delimiter) + " within it): check the delimiter, or raise the limit with "
                + "RecordOptions.withMaxRecordLength");
        this.path = path;
        this.offset = offset;
        this.limit = limit;
    }

    /** The file being split. */
    public Path path() {
        return path;
    }

    /** The file offset of the record's first byte. */
    public long offset() {
        return offset;
    }

    /** The limit it exceeded, {@link RecordOptions#maxRecordLength()}. */
    public int limit() {
        return limit;
    }

    static String describe(byte b) {
        String hex = String.format("0x%02x", b & 0xff);
        return switch (b) {
            case '\n' -> hex + " ('\\n')";
            case '\r' -> hex + " ('\\r')";
            case '\t' -> hex + " ('\\t')";
            case 0 -> hex + " (NUL)";
            default -> b >= 0x20 && b < 0x7f ? hex + " ('" + (char) b + "')" : hex;
        };
    }
}
