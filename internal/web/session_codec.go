package web

import (
	"maps"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// memoCodec is scs's gob codec remembering what it decoded. scs decodes
// the session's stored bytes on every request, and gob compiles its
// decoder for every new stream: about 4 % of a page's CPU for a session
// that had not changed. The same bytes always decode to the same values,
// so a decoding is kept, keyed by the bytes themselves, and each caller
// gets its own copy of the map (scs changes it in place); only sessions
// whose values are all immutable (strings, numbers, booleans, times) are
// kept, so no caller can change what another is given. Encoding is gob's
// own: what is stored is unchanged.
type memoCodec struct {
	scs.GobCodec
	mu   sync.Mutex
	seen map[string]decoded
}

type decoded struct {
	deadline time.Time
	values   map[string]any
}

// memoEntries bounds the memo: a full memo is emptied (entries are small,
// about one per signed-in session, and decoding again is correct).
const memoEntries = 4096

// Decode returns the deadline and values encoded in b.
func (c *memoCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	c.mu.Lock()
	d, ok := c.seen[string(b)]
	c.mu.Unlock()
	if ok {
		return d.deadline, maps.Clone(d.values), nil
	}
	deadline, values, err := c.GobCodec.Decode(b)
	if err != nil || !immutable(values) {
		return deadline, values, err
	}
	c.mu.Lock()
	if c.seen == nil || len(c.seen) >= memoEntries {
		c.seen = make(map[string]decoded, 64)
	}
	c.seen[string(b)] = decoded{deadline: deadline, values: maps.Clone(values)}
	c.mu.Unlock()
	return deadline, values, nil
}

// immutable reports whether every value is of a type no holder can change.
func immutable(values map[string]any) bool {
	for _, v := range values {
		switch v.(type) {
		case string, bool, int, int32, int64, uint, uint32, uint64, float64, time.Time:
		default:
			return false
		}
	}
	return true
}
