-- A changed business record re-judges the accesses it explained: found by this index, not by
-- reading every explanation.
CREATE INDEX access_explanations_context ON access_explanations (context_id);
-- Accesses in time order: the backtest (`einblick detect`) walks them in chunks, and the
-- statistics, reports and the volume rule's baselines read a period.
CREATE INDEX access_events_time ON access_events (occurred_at, id);
