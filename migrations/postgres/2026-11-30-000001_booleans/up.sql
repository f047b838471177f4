-- Flags become booleans: diesel's MultiConnection reads and writes Bool on both backends (it did
-- not when these columns were made SMALLINT).
ALTER TABLE customers
    ALTER COLUMN is_vip DROP DEFAULT,
    ALTER COLUMN is_vip TYPE BOOLEAN USING is_vip <> 0,
    ALTER COLUMN is_vip SET DEFAULT FALSE;
ALTER TABLE staff_users
    ALTER COLUMN is_active DROP DEFAULT,
    ALTER COLUMN is_active TYPE BOOLEAN USING is_active <> 0,
    ALTER COLUMN is_active SET DEFAULT TRUE;
ALTER TABLE dispute_history
    ALTER COLUMN visible_to_customer TYPE BOOLEAN USING visible_to_customer <> 0;
ALTER TABLE regulator_cases
    ALTER COLUMN confidential TYPE BOOLEAN USING confidential <> 0;
