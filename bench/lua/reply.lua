-- POST /v2/support/tickets/{id}/messages, round robin over the tickets in BENCH_IDS.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local body = '{"body": "' .. string.rep("Here are the request ids you asked for. ", 5) .. '"}'
local ids, headers
local i = 0

function init(args)
  ids = common.ids()
  headers = common.headers(true)
end

function request()
  i = i + 1
  local id = ids[(i - 1) % #ids + 1]
  return wrk.format("POST", "/v2/support/tickets/" .. id .. "/messages", headers, body)
end

done = common.done
