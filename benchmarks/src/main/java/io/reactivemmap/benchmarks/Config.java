package io.reactivemmap.benchmarks;

import java.nio.file.Path;

/**
 * Settings for one run of the harness.
 *
 * @param quick smaller files, fewer rounds: a smoke check that the suites run, not a measurement
 */
record Config(Path dataDir, Path resultsDir, boolean quick, long readFileSize, long slowPeerBytes, int warmupRounds,
              int rounds, long sparseFileSize, double arenaSeconds) {

    static Config full(Path dataDir, Path resultsDir) {
        return new Config(dataDir, resultsDir, false, 4 * DataFiles.GIB, DataFiles.GIB, 1, 5, 16 * DataFiles.GIB, 1.0);
    }

    static Config quick(Path dataDir, Path resultsDir) {
        return new Config(dataDir, resultsDir, true, 512L * DataFiles.MIB, 128L * DataFiles.MIB, 1, 2,
                2 * DataFiles.GIB, 0.2);
    }

    /** The hot file every read-type suite uses; generated once into the data folder. */
    Path readFile() throws java.io.IOException {
        return DataFiles.random(dataDir, "hot-" + (readFileSize >> 20) + "MiB.bin", readFileSize);
    }
}
