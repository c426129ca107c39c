-- wrk script for tests/perf/bench_load.py: replay a file of prepared requests.
--
-- LOAD_REQUESTS names a file with one request a line, tab-separated:
--   METHOD <tab> PATH <tab> COOKIE (or empty) <tab> BODY (or empty)
-- Each wrk thread takes every n-th line (n = number of threads), so sign-ups
-- (one line = one resident + one occurrence) are never sent twice in a run.
-- Requests are formatted once in init(); request() only hands them out.
-- done() prints one "LOADJSON {...}" line the Python side reads (latencies in
-- microseconds: wrk's --latency table has no 95th percentile), with the whole
-- latency histogram ("value:count" pairs) so that several runs can be merged.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local path = os.getenv("LOAD_REQUESTS")
  local stride = tonumber(os.getenv("LOAD_THREADS") or "1")
  local requests_ = {}
  local n = 0
  for line in io.lines(path) do
    if n % stride == index then
      local f = split(line)
      local headers = {}
      if f[3] ~= nil and f[3] ~= "" then headers["Cookie"] = f[3] end
      local body = nil
      if f[4] ~= nil and f[4] ~= "" then
        body = f[4]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      table.insert(requests_, wrk.format(f[1], f[2], headers, body))
    end
    n = n + 1
  end
  prepared = requests_
  position = 0
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function done(summary, latency, requests)
  local e = summary.errors
  local histogram = {}
  for i = 1, #latency do
    local value, count = latency(i)   -- the i-th distinct latency and how often
    table.insert(histogram, string.format('"%d:%d"', value, count))
  end
  io.write(string.format(
    'LOADJSON {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"mean": %.1f, "max": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "histogram": [%s]}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(histogram, ",")))
end
