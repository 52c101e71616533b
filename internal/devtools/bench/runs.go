package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// loadRun is one measured run: one endpoint (-mode each) or the mix.
type loadRun struct {
	name    string // the endpoint key, or "mixed"
	gz      bool
	stats   []*epStats
	elapsed time.Duration
	ex      explanation
}

func (r *loadRun) count() int {
	n := 0
	for _, s := range r.stats {
		n += s.count()
	}
	return n
}

// runLoad probes the endpoints, then measures them, one at a time
// (-mode each) or together (-mode mixed), each run after its warm-up.
func runLoad(ctx context.Context, o options, env *loadEnv, pr *probes, eps []*endpoint, rep *report, logf func(string, ...any)) error {
	var live []*endpoint
	for _, ep := range eps {
		status, err := probe(ctx, env, ep)
		switch {
		case err != nil:
			return fmt.Errorf("probe %s: %w", ep.route, err)
		case status == http.StatusNotFound:
			rep.missing = append(rep.missing, ep)
		case !ep.ok(status):
			return fmt.Errorf("probe %s: status %d", ep.route, status)
		default:
			live = append(live, ep)
		}
	}
	if len(live) == 0 {
		return fmt.Errorf("no endpoint answered")
	}
	variants := func(ep *endpoint) []bool {
		switch {
		case o.gzip == "on":
			return []bool{true}
		case o.gzip == "both" && ep.html:
			return []bool{false, true}
		default:
			return []bool{false}
		}
	}
	one := func(name string, group []*endpoint, gz bool) {
		label := name
		if gz {
			label += "+gzip"
		}
		if o.warmup > 0 {
			drive(ctx, env, o.clients, o.warmup, group, gz, nil)
		}
		r := &loadRun{name: name, gz: gz}
		r.ex = pr.measure(ctx, strings.ReplaceAll(label, "+", "_"), o.duration, func() int {
			r.stats, r.elapsed = drive(ctx, env, o.clients, o.duration, group, gz, nil)
			return r.count()
		})
		rep.runs = append(rep.runs, r)
		var p99 time.Duration
		if len(r.stats) == 1 {
			p99 = pct(r.stats[0].lat, 99)
		}
		logf("%-18s %6.0f req/s  p99 %s  errors %d  server %.2f ms/req", label,
			float64(r.count())/r.elapsed.Seconds(), ms(p99), r.stats[0].errs, perReq(r.ex.server, r.ex.requests))
	}
	if o.mode == "mixed" {
		logf("measuring: %d clients for %s over %d endpoints together (after %s warm-up)", o.clients, o.duration, len(live), o.warmup)
		one("mixed", live, o.gzip == "on")
		return ctx.Err()
	}
	logf("measuring each endpoint alone: %d clients, %s warm-up, %s measured", o.clients, o.warmup, o.duration)
	for _, ep := range live {
		for _, gz := range variants(ep) {
			one(ep.key, []*endpoint{ep}, gz)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// perReq is d per request, in milliseconds.
func perReq(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000 / float64(n)
}
