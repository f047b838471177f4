-- Flags are booleans now (see the PostgreSQL migration). SQLite keeps booleans as the integers
-- 0 and 1 these columns already hold, so nothing changes here.
SELECT 1;
