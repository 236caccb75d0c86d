-- POST /v2/support/tickets: opens a new ticket on every request.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local body = '{"subject": "Inference endpoint returns 502 under load", ' ..
  '"body": "' .. string.rep("Our deployment answers 502 for about one request in fifty. ", 4) .. '", ' ..
  '"priority": "normal", "contact_email": "dev@example.com"}'
local req

function init(args)
  req = wrk.format("POST", "/v2/support/tickets", common.headers(true), body)
end

function request() return req end

done = common.done
