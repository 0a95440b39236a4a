-- Costwise schema, version 2: period budgets, their thresholds, and the alerts they raised.

-- A spending limit over a calendar period (UTC), scoped to a workflow type, a task queue or a tag.
CREATE TABLE budget (
    name         TEXT           PRIMARY KEY,
    period       TEXT           NOT NULL CHECK (period IN ('DAILY', 'WEEKLY', 'MONTHLY')),
    scope_kind   TEXT           NOT NULL CHECK (scope_kind IN ('WORKFLOW_TYPE', 'TASK_QUEUE', 'TAG')),
    scope_key    TEXT,
    scope_value  TEXT           NOT NULL,
    limit_usd    NUMERIC(38,18) NOT NULL CHECK (limit_usd > 0),
    created_at   TIMESTAMPTZ    NOT NULL DEFAULT now(),
    CHECK ((scope_kind = 'TAG') = (scope_key IS NOT NULL))
);

-- What happens when a budget's spend reaches a percentage of its limit: notify, or block new work.
CREATE TABLE budget_threshold (
    budget_name  TEXT           NOT NULL REFERENCES budget (name) ON DELETE CASCADE,
    percent      NUMERIC(9,3)   NOT NULL CHECK (percent > 0),
    action       TEXT           NOT NULL CHECK (action IN ('NOTIFY', 'BLOCK')),
    PRIMARY KEY (budget_name, percent)
);

-- One row per crossing. The unique key is the cooldown: a threshold alerts once per period for a
-- period budget (subject 'budget:<name>') and once per run for an execution limit ('run:<run id>').
CREATE TABLE budget_alert (
    id            BIGSERIAL      PRIMARY KEY,
    subject       TEXT           NOT NULL,
    threshold     TEXT           NOT NULL,
    period_start  TIMESTAMPTZ    NOT NULL,
    level         TEXT           NOT NULL CHECK (level IN ('WARNING', 'BLOCKED', 'EXCEEDED')),
    action        TEXT           NOT NULL CHECK (action IN ('NOTIFY', 'BLOCK', 'FAIL')),
    spent_usd     NUMERIC(38,18) NOT NULL,
    limit_usd     NUMERIC(38,18) NOT NULL,
    run_id        TEXT           NOT NULL,
    workflow_id   TEXT           NOT NULL,
    workflow_type TEXT           NOT NULL,
    created_at    TIMESTAMPTZ    NOT NULL,
    UNIQUE (subject, threshold, period_start)
);

-- Period spend is summed from cost_step by scope and time.
CREATE INDEX cost_step_type_recorded_idx ON cost_step (workflow_type, recorded_at);
CREATE INDEX cost_step_queue_recorded_idx ON cost_step (task_queue, recorded_at);
CREATE INDEX cost_step_tags_idx ON cost_step USING gin (tags jsonb_path_ops);
