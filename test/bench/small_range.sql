-- small_range.sql — pgbench script for `make bench` (test/bench/run.sh),
-- figure 6: one random window of :width milliseconds inside the loaded data
-- (~1 tick per ms, so ~:width rows), every column returned to the client.
-- run.sh substitutes TABLE_NAME (the heap or the foreign table) and passes
-- base (first tick, epoch ms), span (ms covered) and width with -D.
\set lo :base + random(0, :span - :width)
\set hi :lo + :width
SELECT * FROM TABLE_NAME
 WHERE "timestamp" >= to_timestamp(:lo::float8 / 1000)
   AND "timestamp" <  to_timestamp(:hi::float8 / 1000);
