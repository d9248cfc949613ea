-- wrk script: prints one machine-readable line that benchmarks/http/run.sh parses.
-- RESULT <requests> <bytes> <duration_us> <p99_latency_us> <socket_errors> <non_2xx_3xx>
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.bytes, summary.duration,
    latency:percentile(99.0), e.connect + e.read + e.write + e.timeout, e.status))
end
