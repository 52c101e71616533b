package domain

import "time"

// Idempotency keys (issue 16): a client names each state-changing request
// with a key of its choosing (the Idempotency-Key header, or the hidden
// idempotency_key field every HTML form carries); a retry with the same
// key gets the first outcome instead of running the change again.
const (
	// MaxIdempotencyKeyLen bounds a key, in bytes.
	MaxIdempotencyKeyLen = 200
	// IdempotencyTTL is how long a key is remembered.
	IdempotencyTTL = 24 * time.Hour
)

// CheckIdempotencyKey refuses a key longer than MaxIdempotencyKeyLen or
// with a byte outside printable ASCII (CodeInvalid, field
// idempotency_key). The empty key is no key.
func CheckIdempotencyKey(key string) error {
	if len(key) > MaxIdempotencyKeyLen {
		return &Error{Code: CodeInvalid, Message: "error.invalid",
			Fields: map[string]string{"idempotency_key": "field.too_long"}}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return &Error{Code: CodeInvalid, Message: "error.invalid",
				Fields: map[string]string{"idempotency_key": "idempotency.key_invalid"}}
		}
	}
	return nil
}

// IdempotentAnswerStored reports whether the answer to a request whose
// change committed under a key is kept and replayed to retries. Only
// successes are: a refusal (4xx) binds nothing, so the corrected retry —
// an HTML form shown again with its key — runs; a failure of the server
// (5xx, 503) is never an outcome; its retry is shown what committed.
func IdempotentAnswerStored(status int) bool { return status >= 200 && status < 400 }
