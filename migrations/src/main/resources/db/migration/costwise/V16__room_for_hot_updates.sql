-- Every write updates the execution row of each run it touches twice (the lock, then the totals).
-- Neither update changes an indexed column, so PostgreSQL can keep the new row version on the same
-- page without touching any index (a heap-only update), but only if the page has room. On full
-- pages every update adds an entry to each of cost_execution's nine indexes. Leaving half of each
-- page free keeps the updates heap-only; pages of rows stored before this migration get the room
-- as their rows move on update (or at once with VACUUM FULL cost_execution in a quiet hour).
-- The rollup shards need no room: few rows, updated in place already. The rank rows cannot be
-- updated heap-only: the overview walks their cost index.
ALTER TABLE cost_execution SET (fillfactor = 50);
