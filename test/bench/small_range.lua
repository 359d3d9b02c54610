-- small_range.lua — wrk script for `make bench` (test/bench/run.sh), figure 7:
-- each request asks pulsorad for one random window of BENCH_RANGE_MS
-- milliseconds inside the loaded data, the REST twin of small_range.sql.
--
--   BENCH_TABLE     store table to query
--   BENCH_BASE_MS   first tick's time, epoch milliseconds
--   BENCH_SPAN_MS   milliseconds covered by the data
--   BENCH_RANGE_MS  width of each window (end exclusive)
--
-- start and end are sent as epoch milliseconds (13 digits, so pulsorad reads
-- them as ms).  Each wrk thread seeds its own generator from its number, so
-- a run is repeatable and threads do not ask for the same windows.

local table_name = os.getenv("BENCH_TABLE") or "ticks"
local base = tonumber(os.getenv("BENCH_BASE_MS"))
local span = tonumber(os.getenv("BENCH_SPAN_MS"))
local width = tonumber(os.getenv("BENCH_RANGE_MS") or "100")
local threads = 0

function setup(thread)
	threads = threads + 1
	thread:set("thread_number", threads)
end

function init(args)
	math.randomseed(7919 * (thread_number or 1))
end

function request()
	local lo = base + math.random(0, span - width)
	return wrk.format("GET", string.format(
		"/tables/%s/query?start=%d&end=%d&limit=10000", table_name, lo, lo + width))
end
