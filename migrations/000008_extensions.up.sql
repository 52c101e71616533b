-- 000008_extensions: an extension of an approved task (a new end date) is
-- a new request that re-answers the last-resort questions and goes
-- through screening, review and decision again; it points at the request
-- it extends, whose tasking continues until its own end date.
ALTER TABLE requests ADD COLUMN extension_of bigint REFERENCES requests (id);
CREATE INDEX requests_extension_of_idx ON requests (extension_of) WHERE extension_of IS NOT NULL;
