DROP TABLE regulator_actions;
DROP TABLE regulator_cases;
DELETE FROM reason_codes WHERE code = 'supervisory_review';
