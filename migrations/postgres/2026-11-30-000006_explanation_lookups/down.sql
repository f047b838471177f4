DROP INDEX access_events_time;
DROP INDEX access_explanations_context;
