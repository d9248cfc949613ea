package io.reactivemmap.benchmarks;

final class MapCostSuite {
    MapCostSuite(Config config) {
    }

    void run() {
    }
}
