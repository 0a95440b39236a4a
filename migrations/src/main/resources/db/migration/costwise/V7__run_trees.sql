-- Costwise cost schema, version 7: runs know their place in a tree of workflows and in a chain of
-- continue-as-new runs, so totals and limits can be kept per tree and per chain.
--
--   parent_run_id  the run that started this one as a child workflow (null for a top-level run)
--   root_run_id    the first run of the top-level workflow's chain: the same for every run of a
--                  tree, whatever continue-as-new happens at any level
--   chain_run_id   the first run of this run's own continue-as-new chain
--
-- Null root and chain mean the run itself: rows written before this version came from runs that
-- knew nothing of trees, and leaving them null spares a rewrite of every stored line. Readers use
-- COALESCE(root_run_id, run_id).

ALTER TABLE cost_execution
    ADD COLUMN parent_run_id TEXT,
    ADD COLUMN root_run_id   TEXT,
    ADD COLUMN chain_run_id  TEXT;

CREATE INDEX cost_execution_root_idx ON cost_execution (root_run_id)
    WHERE root_run_id IS NOT NULL;
CREATE INDEX cost_execution_parent_idx ON cost_execution (parent_run_id)
    WHERE parent_run_id IS NOT NULL;
CREATE INDEX cost_execution_chain_idx ON cost_execution (chain_run_id)
    WHERE chain_run_id IS NOT NULL;

-- Step lines carry their root so reports can group by tree without a join.
ALTER TABLE cost_step ADD COLUMN root_run_id TEXT;
