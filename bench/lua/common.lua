-- Shared by the scenario scripts: settings from the environment, and a machine-readable
-- summary line ("BENCH_JSON {...}") that bench/run.py parses. Latencies are in microseconds.
local M = {}

M.key = os.getenv("BENCH_KEY") or error("BENCH_KEY is not set")
M.auth = "Bearer " .. M.key

-- The ticket ids a scenario spreads its writes over, one per line.
function M.ids()
  local path = os.getenv("BENCH_IDS") or error("BENCH_IDS is not set")
  local ids = {}
  for line in io.lines(path) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  assert(#ids > 0, "no ticket ids in " .. path)
  return ids
end

function M.headers(with_body)
  local h = { ["Authorization"] = M.auth }
  if with_body then h["Content-Type"] = "application/json" end
  return h
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "stdev": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end

return M
