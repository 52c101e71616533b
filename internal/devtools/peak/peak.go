// Package peak samples a measure (heap in use, a process's resident
// memory) while something runs and keeps the largest value seen: the
// export benchmark and the load run's exports phase report peak memory
// with it.
package peak

import (
	"sync"
	"time"
)

// Sampler calls read every interval until Stop and keeps the largest
// value it returned.
type Sampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	max  int64
}

// Start reads once at once, then every interval. A read error is no
// sample (the process may be going away).
func Start(every time.Duration, read func() (int64, error)) *Sampler {
	s := &Sampler{done: make(chan struct{})}
	sample := func() {
		if v, err := read(); err == nil {
			s.max = max(s.max, v)
		}
	}
	sample()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return s
}

// Stop takes a last sample, ends the sampling and returns the peak.
func (s *Sampler) Stop() int64 {
	close(s.done)
	s.wg.Wait()
	return s.max
}
