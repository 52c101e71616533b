CREATE TABLE idempotency_keys (
    user_id    bigint      NOT NULL REFERENCES users (id),
    key        text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_id bigint      NOT NULL REFERENCES requests (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Only creations were kept before: the keys that created a request.
INSERT INTO idempotency_keys (user_id, key, request_id, created_at)
SELECT r.user_id, r.key, r.request_id, r.created_at
FROM idempotency_records r JOIN requests q ON q.id = r.request_id AND q.created_by = r.user_id
WHERE r.method IN ('', 'POST') AND (r.path = '' OR r.path LIKE '%/requests' OR r.path LIKE '%/requests/new' OR r.path LIKE '%/extend');

DROP TABLE idempotency_records;
