DROP FUNCTION memberships_at(timestamptz);
ALTER TABLE decisions DROP COLUMN acting_hc_id;
DROP TABLE acting_hc;
-- btree_gist stays: another schema object may use it, and it holds no data.
