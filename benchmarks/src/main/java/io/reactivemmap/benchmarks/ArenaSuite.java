package io.reactivemmap.benchmarks;

final class ArenaSuite {
    ArenaSuite(Config config) {
    }

    void run() {
    }
}
