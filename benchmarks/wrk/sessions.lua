-- wrk script of the D3 load benchmark (benchmarks/load.py).
--
-- Each wrk thread drives one connection (wrk -t N -c N) as one logged-in user: the
-- file named by D3_WRK_SESSIONS has one line per thread,
--     expected status <TAB> method <TAB> path <TAB> Cookie header <TAB> body
-- so every connection carries its own session cookie (and, for the log-in, its own
-- CSRF cookie and form). A response of another status than expected (a redirect to
-- the log-in page, a 404, a 500…) is counted; done() prints one line of JSON.

local lines = {}
local threads = {}
local counter = 0

function setup(thread)
   if #lines == 0 then
      for line in io.lines(os.getenv("D3_WRK_SESSIONS")) do
         table.insert(lines, line)
      end
   end
   counter = counter + 1
   thread:set("spec", lines[((counter - 1) % #lines) + 1])
   table.insert(threads, thread)
end

function init(args)
   local fields = {}
   for field in (spec .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, field)
   end
   expected = tonumber(fields[1])
   local method, path, cookie, body = fields[2], fields[3], fields[4], fields[5]
   local headers = { ["Cookie"] = cookie }
   if body == nil or body == "" then
      body = nil
   else
      headers["Content-Type"] = "application/x-www-form-urlencoded"
   end
   request_text = wrk.format(method, path, headers, body)
   unexpected = 0
end

function request()
   return request_text
end

function response(status, headers, body)
   if status ~= expected then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local unexpected_total = 0
   for _, thread in ipairs(threads) do
      unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      'D3RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
      '"p99_ms": %.2f, "max_ms": %.2f, "socket_errors": %d, "http_errors": %d, ' ..
      '"unexpected": %d}\n',
      summary.requests, summary.duration / 1e6,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      errors.connect + errors.read + errors.write + errors.timeout, errors.status,
      unexpected_total))
end
