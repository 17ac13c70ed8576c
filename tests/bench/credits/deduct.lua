-- wrk: POST …/credits/{org}/deduct with a unique Idempotency-Key per
-- request. BENCH_KEYS names a file of "key org first_member members"
-- lines; BENCH_MODE=hot uses the first line (the largest org) only,
-- many spreads requests over the other lines (one org each).
-- BENCH_PATH=check sends POST …/check instead; BENCH_PATH=status GET
-- …/credits/{org}.
local keys = {}
local mode = os.getenv("BENCH_MODE") or "many"
local what = os.getenv("BENCH_PATH") or "deduct"
for line in io.lines(os.getenv("BENCH_KEYS")) do
  local k, org, first, n = line:match("^(%S+) (%d+) (%d+) (%d+)$")
  if k then keys[#keys + 1] = { k, org, tonumber(first), tonumber(n) } end
end
local lo, hi = 2, #keys
if mode == "hot" then lo, hi = 1, 1 end

local counter = 0
local tid = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
  counter = 0
end

function request()
  counter = counter + 1
  local e = keys[math.random(lo, hi)]
  local user = e[3] + math.random(0, e[4] - 1)
  local base = "/api/v1/org-billing/credits/" .. e[2]
  local h = { ["Authorization"] = "Bearer " .. e[1], ["Content-Type"] = "application/json" }
  if what == "status" then
    return wrk.format("GET", base, { ["Authorization"] = "Bearer " .. e[1] })
  end
  if what == "check" then
    return wrk.format("POST", base .. "/check", h,
      string.format('{"user_id":"%d","amount":%d}', user, 1 + counter % 50))
  end
  h["Idempotency-Key"] = string.format("wrk-%d-%d-%d-%d", os.time(), tid, counter, math.random(1, 1000000000))
  return wrk.format("POST", base .. "/deduct", h,
    string.format('{"user_id":"%d","amount":%d,"service":"chat"}', user, 1 + counter % 50))
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("bench: unexpected status " .. status .. ": " .. body .. "\n")
  end
end
