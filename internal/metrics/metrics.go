// Package metrics owns cmcoord's Prometheus registry: HTTP request counts
// and latency per route pattern, PostgreSQL pool statistics and the Go
// runtime. Each server gets its own registry, so tests never share state.
//
// It imports no other cmcoord package.
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics records what cmcoord exposes at /metrics.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New returns Metrics with a fresh registry that also reports pool's
// statistics (pool may be nil), the Go runtime and process, and extra
// collectors (e.g. the store's transaction retries, TxRetriesCollector).
func New(pool *pgxpool.Pool, extra ...prometheus.Collector) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cmcoord_http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cmcoord_http_request_duration_seconds",
			Help: "HTTP request latency, by method and route pattern.",
			// Targets are p99 ≤ 50 ms for pages; exports may take seconds.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.reg.MustRegister(newPoolCollector(pool))
	}
	m.reg.MustRegister(extra...)
	return m
}

// TxRetriesCollector reports retries, the count of database transactions
// run again after a deadlock or a serialization failure.
func TxRetriesCollector(retries func() int64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cmcoord_db_transaction_retries_total",
		Help: "Database transactions run again after the database aborted them to resolve a conflict (deadlock or serialization failure).",
	}, func() float64 { return float64(retries()) })
}

// ObserveHTTP records one served request. route is the chi route pattern
// (never the raw path, which would explode the label set).
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// poolCollector reports pgxpool.Stat at scrape time.
type poolCollector struct {
	pool *pgxpool.Pool

	acquireCount, acquireDuration, canceledAcquire, emptyAcquire, newConns, maxLifetimeDestroy, maxIdleDestroy *prometheus.Desc
	acquiredConns, idleConns, constructingConns, totalConns, maxConns                                          *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("cmcoord_pgxpool_"+name, help, nil, nil)
	}
	return &poolCollector{
		pool:               pool,
		acquireCount:       d("acquire_total", "Successful connection acquisitions from the pool."),
		acquireDuration:    d("acquire_duration_seconds_total", "Total time spent acquiring connections."),
		canceledAcquire:    d("canceled_acquire_total", "Acquisitions cancelled by their context."),
		emptyAcquire:       d("empty_acquire_total", "Acquisitions that had to wait because the pool was empty."),
		newConns:           d("new_connections_total", "Connections opened."),
		maxLifetimeDestroy: d("max_lifetime_destroy_total", "Connections closed for reaching their maximum lifetime."),
		maxIdleDestroy:     d("max_idle_destroy_total", "Connections closed for idling too long."),
		acquiredConns:      d("acquired_connections", "Connections currently in use."),
		idleConns:          d("idle_connections", "Idle connections."),
		constructingConns:  d("constructing_connections", "Connections being opened."),
		totalConns:         d("total_connections", "All connections in the pool."),
		maxConns:           d("max_connections", "Maximum size of the pool."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquireCount, c.acquireDuration, c.canceledAcquire, c.emptyAcquire,
		c.newConns, c.maxLifetimeDestroy, c.maxIdleDestroy, c.acquiredConns, c.idleConns,
		c.constructingConns, c.totalConns, c.maxConns} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter(c.acquireCount, float64(s.AcquireCount()))
	counter(c.acquireDuration, s.AcquireDuration().Seconds())
	counter(c.canceledAcquire, float64(s.CanceledAcquireCount()))
	counter(c.emptyAcquire, float64(s.EmptyAcquireCount()))
	counter(c.newConns, float64(s.NewConnsCount()))
	counter(c.maxLifetimeDestroy, float64(s.MaxLifetimeDestroyCount()))
	counter(c.maxIdleDestroy, float64(s.MaxIdleDestroyCount()))
	gauge(c.acquiredConns, float64(s.AcquiredConns()))
	gauge(c.idleConns, float64(s.IdleConns()))
	gauge(c.constructingConns, float64(s.ConstructingConns()))
	gauge(c.totalConns, float64(s.TotalConns()))
	gauge(c.maxConns, float64(s.MaxConns()))
}

// RequireBearer lets through only requests that carry "Authorization:
// Bearer <token>"; anything else is 401 with nothing said about why.
// The comparison takes the same time however much of the token matches
// (both sides are hashed first, so not even the length shows).
func RequireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Path is where the metrics are served.
const Path = "/metrics"

// Mux serves the metrics at Path, behind token when it is not "", and
// 404 everywhere else: the whole of a listener of its own
// (-metrics-addr). With profiling, Go's profiler (net/http/pprof) is
// served under /debug/pprof/ too, behind the same token.
func (m *Metrics) Mux(token string, profiling bool) http.Handler {
	guard := func(h http.Handler) http.Handler {
		if token != "" {
			return RequireBearer(token, h)
		}
		return h
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, guard(m.Handler()))
	if profiling {
		mux.Handle("GET /debug/pprof/", guard(http.HandlerFunc(pprof.Index)))
		mux.Handle("GET /debug/pprof/cmdline", guard(http.HandlerFunc(pprof.Cmdline)))
		mux.Handle("GET /debug/pprof/profile", guard(http.HandlerFunc(pprof.Profile)))
		mux.Handle("GET /debug/pprof/symbol", guard(http.HandlerFunc(pprof.Symbol)))
		mux.Handle("GET /debug/pprof/trace", guard(http.HandlerFunc(pprof.Trace)))
	}
	return mux
}

// ClockOffsetCollector reports offset, how far the database's clock is
// ahead of this machine's (store.DBClock): cmcoord judges time by the
// database's, so a large value is the machine's clock, not a fault.
func ClockOffsetCollector(offset func() time.Duration) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cmcoord_db_clock_offset_seconds",
		Help: "How far the database server's clock is ahead of this machine's; cmcoord judges every time rule by the database's clock.",
	}, func() float64 { return offset().Seconds() })
}
