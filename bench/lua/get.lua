-- GET one fixed path: a ticket (get_5, get_1000) or a list page (list_p1, list_pN).
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local path = os.getenv("BENCH_PATH") or error("BENCH_PATH is not set")
local req

function init(args)
  req = wrk.format("GET", path, common.headers(false))
end

function request() return req end

done = common.done
