ALTER TABLE regulator_cases
    ALTER COLUMN confidential TYPE SMALLINT USING confidential::int;
ALTER TABLE dispute_history
    ALTER COLUMN visible_to_customer TYPE SMALLINT USING visible_to_customer::int;
ALTER TABLE staff_users
    ALTER COLUMN is_active DROP DEFAULT,
    ALTER COLUMN is_active TYPE SMALLINT USING is_active::int,
    ALTER COLUMN is_active SET DEFAULT 1;
ALTER TABLE customers
    ALTER COLUMN is_vip DROP DEFAULT,
    ALTER COLUMN is_vip TYPE SMALLINT USING is_vip::int,
    ALTER COLUMN is_vip SET DEFAULT 0;
