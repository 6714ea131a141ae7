-- POST /api/v1/bookings (or the floor's /book): each request a distinct (user, slot) row from
-- $BENCH_ROWS ("<access token> <user id> <slot id>" per line) and a fresh Idempotency-Key.
-- $BENCH_MODE = "api" sends the token as a Bearer header; "floor" sends the user id in the body.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local rows = {}
for line in io.lines(os.getenv("BENCH_ROWS")) do
  local token, user, slot = line:match("^(%S+) (%S+) (%S+)$")
  if token then table.insert(rows, {token, user, slot}) end
end
local mode = os.getenv("BENCH_MODE") or "api"
local run = os.getenv("BENCH_RUN") or "run"
local path = os.getenv("BENCH_PATH") or "/api/v1/bookings"
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local n = 0

function request()
  local i = (id or 0) + n * nthreads
  n = n + 1
  local row = rows[(i % #rows) + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. i,
  }
  local body
  if mode == "floor" then
    body = string.format('{"slot_id":"%s","user_id":"%s"}', row[3], row[2])
  else
    headers["Authorization"] = "Bearer " .. row[1]
    body = string.format('{"slot_id":"%s"}', row[3])
  end
  return wrk.format("POST", path, headers, body)
end
