package io.reactivemmap.benchmarks;

/**
 * Combines the CRC32C of two consecutive pieces of data into the CRC32C of both, without their bytes: what lets
 * windows be checksummed in parallel and the results joined in file order.
 *
 * <p>The method is zlib's {@code crc32_combine} (Mark Adler's GF(2) matrix method), rewritten for the Castagnoli
 * polynomial: appending {@code len2} zero bytes to the first piece is a linear map on its CRC, a 32x32 matrix over
 * GF(2), raised to the power {@code 8 * len2} by repeated squaring; XOR with the second CRC then accounts for its
 * bytes. It works on finished CRC values (as {@link java.util.zip.CRC32C#getValue()} returns them): the initial and
 * final inversions cancel out. Cost: O(log len2) matrix squarings, about a microsecond, whatever the lengths.
 *
 * <p>A copy of {@code io.reactivemmap.samples.Crc32cCombine} (the benchmarks do not depend on the samples); the
 * {@code checksum} suite checks every combined result against {@link java.util.zip.CRC32C} over the whole file.
 */
final class Crc32cCombine {
    /** CRC32C (Castagnoli), reflected: the polynomial {@link java.util.zip.CRC32C} uses. */
    private static final int POLY = 0x82F63B78;

    private Crc32cCombine() {
    }

    /**
     * @param crc1 CRC32C of the first piece
     * @param crc2 CRC32C of the second piece, which follows the first
     * @param len2 length of the second piece in bytes, {@code >= 0}
     * @return CRC32C of the first piece followed by the second
     */
    static long combine(long crc1, long crc2, long len2) {
        if (len2 < 0) {
            throw new IllegalArgumentException("len2 must be >= 0 (got " + len2 + ")");
        }
        if (len2 == 0) {
            return crc1;
        }
        int[] even = new int[32]; // operator for 2^k zero bits, k even
        int[] odd = new int[32];  // ... k odd

        // The operator for one zero bit: shift right, XOR the polynomial when the low bit falls out.
        odd[0] = POLY;
        int row = 1;
        for (int n = 1; n < 32; n++) {
            odd[n] = row;
            row <<= 1;
        }
        square(even, odd); // two zero bits
        square(odd, even); // four zero bits

        int crc = (int) crc1;
        long len = len2;
        // Apply len zero bytes to crc1, one bit of len at a time; the first square gives one zero byte (8 bits).
        do {
            square(even, odd);
            if ((len & 1) != 0) {
                crc = times(even, crc);
            }
            len >>>= 1;
            if (len == 0) {
                break;
            }
            square(odd, even);
            if ((len & 1) != 0) {
                crc = times(odd, crc);
            }
            len >>>= 1;
        } while (len != 0);
        return (crc ^ (int) crc2) & 0xFFFFFFFFL;
    }

    private static int times(int[] matrix, int vector) {
        int sum = 0;
        for (int i = 0; vector != 0; i++, vector >>>= 1) {
            if ((vector & 1) != 0) {
                sum ^= matrix[i];
            }
        }
        return sum;
    }

    private static void square(int[] square, int[] matrix) {
        for (int n = 0; n < 32; n++) {
            square[n] = times(matrix, matrix[n]);
        }
    }
}
