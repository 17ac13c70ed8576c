-- wrk: POST each pre-signed event once (events.tsv from gen-events.js),
-- round-robin over threads; when the file runs out, start over (repeats
-- then answer as duplicates and are counted apart by the runner).
local events = {}
local next_i = 1
local step = 1

function setup(thread)
  thread:set("id", #threads_seen + 1)
  table.insert(threads_seen, thread)
end
threads_seen = {}

function init(args)
  local f = assert(io.open(os.getenv("OB_BENCH_EVENTS"), "r"))
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    events[#events + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
  end
  f:close()
  step = tonumber(os.getenv("OB_BENCH_THREADS") or "1")
  next_i = id
end

function request()
  local e = events[next_i]
  next_i = next_i + step
  if next_i > #events then next_i = ((next_i - 1) % #events) + 1 end
  return wrk.format("POST", "/stripe/webhook",
    { ["Content-Type"] = "application/json", ["Stripe-Signature"] = e[1] }, e[2])
end
