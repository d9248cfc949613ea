package io.reactivemmap.benchmarks;

import java.nio.file.Path;

/**
 * Settings for one run of the harness.
 *
 * @param quick smaller files, fewer rounds: a smoke check that the suites run, not a measurement
 * @param shaBytes how much the {@code checksum} suite's SHA-256 paths hash (SHA-256 runs at about 1 GB/s, so the
 *                 whole hot file would make the suite slow): see {@link #shaFile()}
 */
record Config(Path dataDir, Path resultsDir, boolean quick, long readFileSize, long slowPeerBytes, int warmupRounds,
              int rounds, long sparseFileSize, long shaBytes) {

    static Config full(Path dataDir, Path resultsDir) {
        return new Config(dataDir, resultsDir, false, 4 * DataFiles.GIB, DataFiles.GIB, 1, 5, 16 * DataFiles.GIB, DataFiles.GIB);
    }

    static Config quick(Path dataDir, Path resultsDir) {
        return new Config(dataDir, resultsDir, true, 512L * DataFiles.MIB, 128L * DataFiles.MIB, 1, 2,
                2 * DataFiles.GIB, 256L * DataFiles.MIB);
    }

    /** The hot file every read-type suite uses; generated once into the data folder. */
    Path readFile() throws java.io.IOException {
        return DataFiles.random(dataDir, "hot-" + (readFileSize >> 20) + "MiB.bin", readFileSize);
    }

    /**
     * The file the SHA-256 paths hash: the hot file itself if {@code shaBytes} covers it, else a file of
     * {@code shaBytes} generated the same way (same generator, same seed), whose bytes are the hot file's first
     * {@code shaBytes}. A separate file rather than a prefix because {@code sha256sum FILE} hashes whole files.
     */
    Path shaFile() throws java.io.IOException {
        if (shaBytes >= readFileSize) {
            return readFile();
        }
        return DataFiles.random(dataDir, "hot-" + (shaBytes >> 20) + "MiB.bin", shaBytes);
    }
}
