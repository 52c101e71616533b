ALTER TABLE operations DROP COLUMN require_second_factor;
DROP TABLE recovery_codes;
DROP TABLE user_factors;
