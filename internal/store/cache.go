package store

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Cache keeps in this process what nearly every request reads and rarely
// changes — the signed-in user with their memberships and second factor,
// API tokens, operations by code, browser sessions and their last
// sighting, unread counts, the organisations list — so that a page's
// identity and chrome cost no round trip to PostgreSQL.
//
// It is never wrong for longer than MaxStale, on any instance:
//
//   - Every committed change to the tables it copies is announced by the
//     database itself (migration 23: triggers NOTIFY channel cmcoord_cache
//     with the entry's key), whichever path or instance wrote it; a
//     listener on a connection of its own forgets each entry named.
//   - The listener proves it hears: every PingEvery a ping of this
//     instance's own goes through the same channel. PostgreSQL delivers
//     notifications in commit order, so once a ping sent at t is back,
//     every change committed before t has been forgotten. An entry is used
//     only while the latest ping back was sent less than MaxStale ago; a
//     lost connection, a stalled listener or a busy database turns the
//     cache off (every read goes to the database) until pings return.
//   - A change committed through this instance's own pool forgets, at
//     its commit, every entry of the kinds it touched (the pool's tracer
//     sees the statement): a user's next request after their own change
//     never reads the old copy, without waiting for the notification.
//   - A read fills an entry only if no forgetting of its kind happened
//     while it read (a generation per kind), so a read racing a change
//     cannot put the old value back.
//
// Reads inside a transaction never use it (Store.cached is nil there).
type Cache struct {
	log      *slog.Logger
	nonce    string
	maxStale time.Duration
	every    time.Duration

	// start is the origin of the cache's monotonic clock (since): heard
	// is when, on it, the latest ping that came back was sent (plus one,
	// so that 0 says the listener is not listening).
	start time.Time
	heard atomic.Int64
	kinds [numKinds]cacheKind

	sqlKinds sync.Map // SQL text → kindSet it writes
	nsql     atomic.Int64
	pending  sync.Map // *pgx.Conn → kindSet written in its open transaction

	hits, misses, forgets *prometheus.CounterVec
	// the counters of each kind, resolved once (a lookup per read costs)
	hit, miss, forgot [numKinds]prometheus.Counter
}

// MaxStale is the longest an entry may be used after a change committed
// on another instance; PingEvery how often each instance proves it hears.
const (
	MaxStale  = 500 * time.Millisecond
	PingEvery = 100 * time.Millisecond
	// maxEntries bounds each kind's map; a full map is emptied.
	maxEntries = 50_000
	// cacheChannel is the NOTIFY channel of migration 23's triggers.
	cacheChannel = "cmcoord_cache"
)

// The kinds of entry, each with its own map and generation.
const (
	kindUser    = iota // "u:<id>": domain.User, memberships, factor
	kindToken          // "t:<hex hash>": an API token; forgotten with its user too
	kindOp             // "o:<code>": an operation
	kindSession        // "s:<md5 hex>": a session's data (the session store)
	kindSeen           // "s:<md5 hex>" too: a session's last sighting
	kindUnread         // "n:<id>": an unread count
	kindOrgs           // the organisations list (every change forgets every kind: "*")
	numKinds
)

var kindNames = [numKinds]string{"user", "token", "operation", "session", "sighting", "unread", "organizations"}

type kindSet uint8

// cachedTables names, for each table the cache copies, the kinds a write
// to it makes stale: the same tables migration 23's triggers watch
// (TestCacheTriggersMatchTables checks the two agree).
var cachedTables = map[string]kindSet{
	"users":         1<<kindUser | 1<<kindToken,
	"memberships":   1 << kindUser,
	"acting_hc":     1 << kindUser,
	"user_factors":  1 << kindUser,
	"operations":    1<<kindUser | 1<<kindOp,
	"api_tokens":    1 << kindToken,
	"sessions":      1<<kindSession | 1<<kindSeen,
	"user_sessions": 1<<kindSession | 1<<kindSeen,
	"notifications": 1 << kindUnread,
	"organizations": 1 << kindOrgs,
}

// writeRE finds the table a statement inserts into, updates or deletes from.
var writeRE = regexp.MustCompile(`(?is)\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_]+)"?`)

type cacheKind struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cacheEntry
}

type cacheEntry struct {
	v    any
	user int64 // the user a token belongs to (forgotten with the user)
}

// NewCache returns a cache, off until Start's listener hears its first ping.
func NewCache(log *slog.Logger) *Cache {
	c := &Cache{log: log, nonce: strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(int64(rand.Uint32()), 36),
		maxStale: MaxStale, every: PingEvery, start: time.Now()}
	for i := range c.kinds {
		c.kinds[i].entries = map[string]cacheEntry{}
	}
	c.hits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cmcoord_cache_hits_total",
		Help: "Reads answered from the in-process cache, by kind."}, []string{"kind"})
	c.misses = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cmcoord_cache_misses_total",
		Help: "Reads the in-process cache sent to the database (absent, stale or cache off), by kind."}, []string{"kind"})
	c.forgets = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cmcoord_cache_forgets_total",
		Help: "Entries forgotten because a committed change named them, by kind."}, []string{"kind"})
	for k, name := range kindNames {
		c.hit[k], c.miss[k], c.forgot[k] = c.hits.WithLabelValues(name), c.misses.WithLabelValues(name), c.forgets.WithLabelValues(name)
	}
	return c
}

// Collectors are the cache's metrics.
func (c *Cache) Collectors() []prometheus.Collector {
	return []prometheus.Collector{c.hits, c.misses, c.forgets, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cmcoord_cache_on", Help: "1 while the in-process cache is used (its listener heard a ping within the staleness bound), else 0.",
	}, func() float64 {
		if c.on() {
			return 1
		}
		return 0
	})}
}

// on reports whether entries may be used now.
func (c *Cache) on() bool {
	h := c.heard.Load()
	return h != 0 && c.since()-(h-1) < int64(c.maxStale)
}

// since is the time elapsed on the cache's monotonic clock, in ns.
func (c *Cache) since() int64 { return int64(time.Since(c.start)) }

// get returns kind k's entry key when the cache is on.
func (c *Cache) get(k int, key string) (any, bool) {
	if c.on() {
		kc := &c.kinds[k]
		kc.mu.Lock()
		e, ok := kc.entries[key]
		kc.mu.Unlock()
		if ok {
			c.hit[k].Inc()
			return e.v, true
		}
	}
	c.miss[k].Inc()
	return nil, false
}

// gen is kind k's generation, to take before reading what put will store.
func (c *Cache) gen(k int) uint64 {
	kc := &c.kinds[k]
	kc.mu.Lock()
	defer kc.mu.Unlock()
	return kc.gen
}

// put stores v as kind k's entry key, read since generation g, unless
// something of kind k was forgotten meanwhile.
func (c *Cache) put(k int, g uint64, key string, v any, user int64) {
	kc := &c.kinds[k]
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.gen != g {
		return
	}
	if len(kc.entries) >= maxEntries {
		clear(kc.entries)
	}
	kc.entries[key] = cacheEntry{v: v, user: user}
}

// forgetKey forgets kind k's entry key (and, for a user, their tokens).
func (c *Cache) forgetKey(k int, key string) {
	kc := &c.kinds[k]
	kc.mu.Lock()
	kc.gen++
	delete(kc.entries, key)
	kc.mu.Unlock()
	c.forgot[k].Inc()
}

// forgetKinds forgets every entry of the kinds in ks.
func (c *Cache) forgetKinds(ks kindSet) {
	for k := range c.kinds {
		if ks&(1<<k) == 0 {
			continue
		}
		kc := &c.kinds[k]
		kc.mu.Lock()
		kc.gen++
		clear(kc.entries)
		kc.mu.Unlock()
		c.forgot[k].Inc()
	}
}

// forgetUserTokens forgets the tokens of user id.
func (c *Cache) forgetUserTokens(id int64) {
	kc := &c.kinds[kindToken]
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.gen++
	for key, e := range kc.entries {
		if e.user == id {
			delete(kc.entries, key)
		}
	}
}

// forget handles one notification payload of the cache channel.
func (c *Cache) forget(payload string) {
	tag, rest, _ := strings.Cut(payload, ":")
	switch tag {
	case "p":
		nonce, sent, ok := strings.Cut(rest, ":")
		// A ping from the future was not sent by this instance (any role
		// that may NOTIFY could forge one to keep the cache on): ignored.
		if n, err := strconv.ParseInt(sent, 10, 64); ok && err == nil && nonce == c.nonce && n+1 > c.heard.Load() && n <= c.since() {
			c.heard.Store(n + 1)
		}
	case "u":
		c.forgetKey(kindUser, rest)
		if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
			c.forgetUserTokens(id)
		}
	case "t":
		c.forgetKey(kindToken, rest)
	case "s":
		c.forgetKey(kindSession, rest)
		c.forgetKey(kindSeen, rest)
	case "n":
		c.forgetKey(kindUnread, rest)
	default: // "*" and anything this version does not know: all of it
		c.forgetKinds(1<<numKinds - 1)
	}
}

// sessionKey is the cache key of a browser session: the md5 of its token,
// as migration 23's triggers name it.
func sessionKey(token string) string {
	sum := md5.Sum([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Start listens on the cache channel and pings it, each on a connection of
// its own opened like pool's, until ctx ends; it reconnects after a
// failure, the cache off meanwhile. It returns at once.
func (c *Cache) Start(ctx context.Context, pool *pgxpool.Pool) {
	cfg := pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil
	go c.listen(ctx, cfg)
	go c.ping(ctx, cfg)
}

func (c *Cache) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	const firstWait = 100 * time.Millisecond
	wait := firstWait
	for ctx.Err() == nil {
		listened, err := c.listenOnce(ctx, cfg)
		c.heard.Store(0)
		if listened { // it worked until now: the next loss starts over
			wait = firstWait
		}
		c.forgetKinds(1<<numKinds - 1) // what changed while deaf is unknown
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("cache listener lost; the cache is off until it hears again", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// listenOnce listens until its connection fails; listened reports
// whether it got as far as listening.
func (c *Cache) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+cacheChannel); err != nil {
		return false, err
	}
	// Whatever was cached before this LISTEN may have changed unheard.
	c.forgetKinds(1<<numKinds - 1)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		c.forget(n.Payload)
	}
}

func (c *Cache) ping(ctx context.Context, cfg *pgx.ConnConfig) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
	}()
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if conn == nil {
			var err error
			if conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
				conn = nil
				continue
			}
		}
		pctx, cancel := context.WithTimeout(ctx, c.maxStale)
		_, err := conn.Exec(pctx, "SELECT pg_notify($1, $2)", cacheChannel,
			"p:"+c.nonce+":"+strconv.FormatInt(c.since(), 10))
		cancel()
		if err != nil {
			conn.Close(context.WithoutCancel(ctx))
			conn = nil
		}
	}
}

// Tracer is the pool's tracer that forgets, at the commit of a change
// made through this pool, the kinds of entry it touched (cachedTables).
func (c *Cache) Tracer() pgx.QueryTracer { return cacheTracer{c} }

type cacheTracer struct{ c *Cache }

type sqlKey struct{}

func (t cacheTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, sqlKey{}, d.SQL)
}

func (t cacheTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	sql, _ := ctx.Value(sqlKey{}).(string)
	t.c.wrote(conn, t.c.writes(sql))
}

func (t cacheTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (t cacheTracer) TraceBatchQuery(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	if ks := t.c.writes(d.SQL); ks != 0 {
		t.c.mark(conn, ks)
	}
}

func (t cacheTracer) TraceBatchEnd(_ context.Context, conn *pgx.Conn, _ pgx.TraceBatchEndData) {
	t.c.wrote(conn, 0)
}

func (t cacheTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	return context.WithValue(ctx, sqlKey{}, "insert into "+d.TableName.Sanitize())
}

func (t cacheTracer) TraceCopyFromEnd(ctx context.Context, conn *pgx.Conn, _ pgx.TraceCopyFromEndData) {
	sql, _ := ctx.Value(sqlKey{}).(string)
	t.c.wrote(conn, t.c.writes(strings.ReplaceAll(sql, `"`, "")))
}

// ownWrite marks a statement whose write changes nothing the cache holds
// (numbering a request: operations.last_request_number), or whose caller
// puts it in the cache itself (a session's sighting): its commit forgets
// nothing here; a trigger tells the other instances when they must.
const ownWrite = "/* cache: own write */"

// writes returns the kinds statement sql makes stale when it commits.
func (c *Cache) writes(sql string) kindSet {
	if v, ok := c.sqlKinds.Load(sql); ok {
		return v.(kindSet)
	}
	var ks kindSet
	if !strings.Contains(sql, ownWrite) {
		for _, m := range writeRE.FindAllStringSubmatch(sql, -1) {
			ks |= cachedTables[strings.ToLower(m[1])]
		}
	}
	// The statements are the program's own texts (values travel as
	// parameters), a bounded set; the bound holds even if one did not.
	if c.nsql.Load() < maxStatements {
		if _, known := c.sqlKinds.LoadOrStore(sql, ks); !known {
			c.nsql.Add(1)
		}
	}
	return ks
}

// maxStatements bounds how many statement texts writes remembers.
const maxStatements = 10_000

// mark notes that conn's open transaction wrote kinds ks.
func (c *Cache) mark(conn *pgx.Conn, ks kindSet) {
	if v, ok := c.pending.Load(conn); ok {
		ks |= v.(kindSet)
	}
	c.pending.Store(conn, ks)
}

// wrote is called after each statement or batch on conn, with the kinds
// it wrote: once conn is out of a transaction (committed, rolled back or
// never in one), what it wrote is forgotten here.
func (c *Cache) wrote(conn *pgx.Conn, ks kindSet) {
	if ks != 0 {
		c.mark(conn, ks)
	}
	if conn.PgConn().TxStatus() != 'I' {
		return
	}
	if v, ok := c.pending.LoadAndDelete(conn); ok {
		c.forgetKinds(v.(kindSet))
	}
}

// cached is s's cache for a read: nil inside a transaction or without one.
func (s *Store) cached() *Cache {
	if s.pool == nil {
		return nil
	}
	return s.cache
}

// WithCache returns s reading through c.
func (s *Store) WithCache(c *Cache) *Store {
	out := *s
	out.cache = c
	return &out
}

// cachedUser is a user with what an actor is built from.
type cachedUser struct {
	user        domain.User
	memberships []domain.Membership
	hasFactor   bool
}

// copies returns cu's parts for one caller: its own memberships and role
// sets, so that nothing a caller does reaches the shared copy.
func (cu cachedUser) copies() (domain.User, []domain.Membership, bool) {
	ms := slices.Clone(cu.memberships)
	for i := range ms {
		ms[i].Roles = slices.Clone(ms[i].Roles)
	}
	return cu.user, ms, cu.hasFactor
}

// sessionSeen is a recorded browser session's last sighting.
type sessionSeen struct {
	id       int64
	lastSeen time.Time
}

// sessionData is a session's row in the session store.
type sessionData struct {
	data   []byte
	expiry time.Time
}

var (
	_ pgx.BatchTracer    = cacheTracer{}
	_ pgx.CopyFromTracer = cacheTracer{}
)
