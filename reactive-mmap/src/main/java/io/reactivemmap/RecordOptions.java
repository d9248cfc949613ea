package io.reactivemmap;

import java.util.Objects;

/**
 * How {@link MappedRecords} cuts a file into {@link MappedRecord records}: the delimiter byte, whether a carriage
 * return before it is dropped, the longest record accepted, and the {@link MapOptions} of the windows underneath.
 * Immutable; start from {@link #lines()} or {@link #delimitedBy(byte)} and change with the {@code with...} methods.
 *
 * <p>A record is the bytes between two delimiters (the delimiter itself is not part of either record). The first
 * record starts at the first byte, an empty file or range has no records, and a delimiter at the very end does not
 * start another, empty, record: {@code "a\nb\n"} and {@code "a\nb"} both hold {@code a} and {@code b}, {@code "\n"}
 * holds one empty record, {@code "a\n\nb"} holds {@code a}, an empty record and {@code b}.
 *
 * @param delimiter the byte that ends a record. {@code '\n'} for {@link #lines()}
 * @param stripCarriageReturn drop one {@code '\r'} at the end of each record (the CR of a CRLF line ending, also on
 *                            a last record that has no delimiter after it). Only the byte right before the delimiter
 *                            (or the end) is looked at: a lone {@code '\r'} elsewhere is data, and does not end a
 *                            record. On for {@link #lines()}, off for {@link #delimitedBy(byte)}
 * @param maxRecordLength the longest record accepted, in bytes (after the carriage return is dropped). A longer record
 *                        fails the stream with {@link RecordTooLongException} instead of being buffered, whatever
 *                        the window size (so the result does not depend on it). 1 to {@link #MAX_RECORD_LENGTH};
 *                        default {@link #DEFAULT_MAX_RECORD_LENGTH}
 * @param mapOptions the windows the records are cut from; records that lie inside one window are views of it, so
 *                   a record holds a window mapped for as long as the record is open
 */
public record RecordOptions(byte delimiter, boolean stripCarriageReturn, int maxRecordLength, MapOptions mapOptions) {

    /** The longest record possible: a copied record is one Java array. */
    public static final int MAX_RECORD_LENGTH = Integer.MAX_VALUE - 8;

    /** The default longest record, 16 MiB: a generous line, and a bound on what one broken file can make us allocate. */
    public static final int DEFAULT_MAX_RECORD_LENGTH = 16 << 20;

    private static final RecordOptions LINES = new RecordOptions((byte) '\n', true, DEFAULT_MAX_RECORD_LENGTH,
            MapOptions.defaults());

    /** Checks {@code maxRecordLength} (1 to {@link #MAX_RECORD_LENGTH}) and that {@code mapOptions} is not null. */
    public RecordOptions {
        if (maxRecordLength < 1 || maxRecordLength > MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("maxRecordLength must be between 1 and " + MAX_RECORD_LENGTH
                    + " bytes (got " + maxRecordLength + ")");
        }
        Objects.requireNonNull(mapOptions, "mapOptions");
    }

    /** Lines: records ended by {@code '\n'}, a CR before it dropped, at most 16 MiB each, default windows. */
    public static RecordOptions lines() {
        return LINES;
    }

    /** Records ended by {@code delimiter}, nothing stripped, at most 16 MiB each, default windows. */
    public static RecordOptions delimitedBy(byte delimiter) {
        return new RecordOptions(delimiter, false, DEFAULT_MAX_RECORD_LENGTH, MapOptions.defaults());
    }

    /** These options with records ended by {@code delimiter}. */
    public RecordOptions withDelimiter(byte delimiter) {
        return new RecordOptions(delimiter, stripCarriageReturn, maxRecordLength, mapOptions);
    }

    /** These options with {@link #stripCarriageReturn()} on or off. */
    public RecordOptions withStripCarriageReturn(boolean on) {
        return new RecordOptions(delimiter, on, maxRecordLength, mapOptions);
    }

    /**
     * These options with {@link #maxRecordLength()} set to {@code bytes}.
     *
     * @param bytes the longest record accepted, 1 to {@link #MAX_RECORD_LENGTH}; a {@code long} so that an oversized
     *              value gets a clear error instead of silently overflowing
     */
    public RecordOptions withMaxRecordLength(long bytes) {
        if (bytes < 1 || bytes > MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("maxRecordLength must be between 1 and " + MAX_RECORD_LENGTH
                    + " bytes: a copied record is one Java array (got " + bytes + ")");
        }
        return new RecordOptions(delimiter, stripCarriageReturn, (int) bytes, mapOptions);
    }

    /** These options with {@code mapOptions} for the windows the records are read from. */
    public RecordOptions withMapOptions(MapOptions mapOptions) {
        return new RecordOptions(delimiter, stripCarriageReturn, maxRecordLength, mapOptions);
    }
}
