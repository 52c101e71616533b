ALTER TABLE requests DROP COLUMN extension_of;
