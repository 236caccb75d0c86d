-- PATCH /v2/support/tickets/{id}, round robin over the tickets in BENCH_IDS: the first pass
-- sets every ticket to pending, the next back to open, and so on, so every request is a change
-- (run.py hands each wrk run fresh tickets, all open).
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local ids, headers
local i = 0
local bodies = { '{"status": "pending"}', '{"status": "open"}' }

function init(args)
  ids = common.ids()
  headers = common.headers(true)
end

function request()
  local n = #ids
  local id = ids[i % n + 1]
  local body = bodies[math.floor(i / n) % 2 + 1]
  i = i + 1
  return wrk.format("PATCH", "/v2/support/tickets/" .. id, headers, body)
end

done = common.done
