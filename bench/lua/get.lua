-- GET the URL's path (given on the wrk command line); statuses and percentiles as JSON from done().
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.headers["Accept"] = "application/json"
