package io.reactivemmap.benchmarks;

final class BoundSuite {
    BoundSuite(Config config) {
    }

    void run() {
    }
}
