-- wrk script: GET the small files /small/f0001.bin .. /small/fNNNN.bin in turn (NNNN = env SMALL_FILES),
-- each connection starting at a different file, then print the RESULT line of report.lua.
local count = tonumber(os.getenv("SMALL_FILES") or "256")
local counter = 0
local paths = {}

-- Built in init, after wrk.init has set the Host header (at load time wrk.format would omit it: nginx answers 400).
init = function(args)
  for i = 1, count do
    paths[i] = wrk.format("GET", string.format("/small/f%04d.bin", i))
  end
end

setup = function(thread)
  thread:set("offset", counter * 37)
  counter = counter + 1
end

local i = 0
request = function()
  i = i + 1
  return paths[((i + (offset or 0)) % count) + 1]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.bytes, summary.duration,
    latency:percentile(99.0), e.connect + e.read + e.write + e.timeout, e.status))
end
