package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// load is the write load: workers creating draft requests through
// POST /api/v1/operations/{code}/requests, each with its own
// Idempotency-Key (also the draft's title, to find it in the database).
// A write is tried again with the same key until it is acknowledged
// (2xx with the request's id): after a lost answer, the retry gets the
// request the first try created. Only acknowledged writes count as
// promised to the client.
type load struct {
	base    func() string // the server's base URL
	tokens  []string      // one writer's each; a write keeps its writer across retries
	code    string        // operation code
	prefix  string        // of every key and title of this load
	workers int
	pace    <-chan time.Time // a tick per new write: the load's rate
	client  *http.Client
	next    atomic.Int64 // the writer of the next write

	mu        sync.Mutex
	acked     map[string]int64 // key → the id the server acknowledged
	statuses  map[int]int      // answers by HTTP status, every try
	netErrs   int              // tries without an answer (refused, reset, timeout)
	replayed  int              // acknowledgements marked Idempotent-Replayed
	refused   []string         // 4xx other than 429: a write given up, with its answer
	successes []span           // when each acknowledged try started and ended
	issued    atomic.Int64
	stopPace  func()
}

// close stops the load's pacing.
func (l *load) close() { l.stopPace() }

// span is one acknowledged try.
type span struct{ start, end time.Time }

// newLoad returns a load of about rate new writes a second (retries
// aside) by workers concurrent writers, each write by the next of tokens.
// Stop its pacing with close.
func newLoad(base func() string, tokens []string, code, prefix string, workers, rate int) *load {
	t := time.NewTicker(time.Second / time.Duration(rate))
	return &load{base: base, tokens: tokens, code: code, prefix: prefix, workers: workers, pace: t.C, stopPace: t.Stop,
		client:   &http.Client{Timeout: 15 * time.Second},
		acked:    map[string]int64{},
		statuses: map[int]int{},
	}
}

// run writes until more() reports false (checked before each new write),
// each worker finishing the write it holds — retried until acknowledged
// or ctx ends — before it returns.
func (l *load) run(ctx context.Context, more func() bool) {
	var wg sync.WaitGroup
	for w := range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-l.pace:
				case <-ctx.Done():
					return
				}
				if !more() || ctx.Err() != nil {
					return
				}
				l.issued.Add(1)
				token := l.tokens[int(l.next.Add(1))%len(l.tokens)]
				l.write(ctx, token, fmt.Sprintf("%s-w%d-%d", l.prefix, w, seq))
			}
		}()
	}
	wg.Wait()
}

// runFor writes until stop is done.
func (l *load) runFor(ctx, stop context.Context) {
	l.run(ctx, func() bool { return stop.Err() == nil })
}

// runN makes n writes.
func (l *load) runN(ctx context.Context, n int) {
	var next atomic.Int64
	l.run(ctx, func() bool { return next.Add(1) <= int64(n) })
}

// write creates one draft with key, trying again until acknowledged. A
// refusal (4xx other than 429) is recorded and the write given up.
func (l *load) write(ctx context.Context, token, key string) {
	body, _ := json.Marshal(map[string]string{"title": key})
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			// Short, fixed pauses: the drill measures how soon writes
			// succeed again, so it does not wait out Retry-After.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(min(attempt, 5)) * 50 * time.Millisecond):
			}
		}
		start := time.Now()
		status, id, replayed, answer, err := l.try(ctx, token, key, body)
		end := time.Now()
		l.mu.Lock()
		if err != nil {
			if ctx.Err() == nil {
				l.netErrs++
			}
		} else {
			l.statuses[status]++
		}
		switch {
		case err != nil:
		case status >= 200 && status < 300:
			l.acked[key] = id
			if replayed {
				l.replayed++
			}
			l.successes = append(l.successes, span{start, end})
			l.mu.Unlock()
			return
		case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
			l.refused = append(l.refused, fmt.Sprintf("%s: %d %s", key, status, answer))
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
	}
}

// try sends one POST and reads the answer.
func (l *load) try(ctx context.Context, token, key string, body []byte) (status int, id int64, replayed bool, answer string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base()+"/api/v1/operations/"+l.code+"/requests", bytes.NewReader(body))
	if err != nil {
		return 0, 0, false, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, 0, false, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, 0, false, "", err // the answer was cut: not an acknowledgement
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, 0, false, string(bytes.TrimSpace(b[:min(len(b), 300)])), nil
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.ID == 0 {
		return 0, 0, false, "", fmt.Errorf("a %d answer without an id: %.200s", resp.StatusCode, b)
	}
	return resp.StatusCode, created.ID, resp.Header.Get("Idempotent-Replayed") == "true", "", nil
}

// figures is a snapshot of what the load saw.
type figures struct {
	issued, acked, replayed, netErrs int
	unavailable, otherServerErrors   int // 503; every other 5xx
	throttled                        int // 429 (retried)
	refused                          []string
	statuses                         map[int]int
}

func (l *load) figures() figures {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := figures{issued: int(l.issued.Load()), acked: len(l.acked), replayed: l.replayed, netErrs: l.netErrs,
		refused: slices.Clone(l.refused), statuses: map[int]int{}}
	for s, n := range l.statuses {
		f.statuses[s] = n
		switch {
		case s == http.StatusServiceUnavailable:
			f.unavailable += n
		case s == http.StatusTooManyRequests:
			f.throttled += n
		case s >= 500:
			f.otherServerErrors += n
		}
	}
	return f
}

// ackedKeys returns a copy of the acknowledged writes.
func (l *load) ackedKeys() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int64, len(l.acked))
	for k, v := range l.acked {
		out[k] = v
	}
	return out
}

// outage returns how long after t the first write that started at or
// after t was acknowledged: how long writes failed because of a fault at
// t. ok is false when none was.
func (l *load) outage(t time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return firstAckAfter(l.successes, t)
}

// firstAckAfter is outage over spans.
func firstAckAfter(spans []span, t time.Time) (time.Duration, bool) {
	var best time.Time
	for _, s := range spans {
		if !s.start.Before(t) && (best.IsZero() || s.end.Before(best)) {
			best = s.end
		}
	}
	if best.IsZero() {
		return 0, false
	}
	return best.Sub(t), true
}
