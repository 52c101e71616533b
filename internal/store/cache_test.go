package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// instance is one cmcoord instance's view of a database: its own pool,
// cache and listener.
type instance struct {
	pool  *pgxpool.Pool
	cache *store.Cache
	st    *store.Store
	ss    *store.SessionStore
}

func newInstance(t *testing.T, url string) instance {
	t.Helper()
	c := store.NewCache(slog.New(slog.NewTextHandler(io.Discard, nil)))
	pool, err := store.OpenPool(t.Context(), url, store.PoolOptions{MaxConns: 4, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.Start(ctx, pool)
	t.Cleanup(func() { cancel(); pool.Close() })
	waitFor(t, "the cache to hear its first ping", c.On)
	return instance{pool: pool, cache: c, st: store.New(pool).WithCache(c), ss: store.NewSessionStore(pool).WithCache(c)}
}

// waitFor polls ok for up to 10 s (a bound against a hung test, not a
// measure).
func waitFor(t *testing.T, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// TestCacheTriggersMatchTables: the tables whose triggers announce
// changes (migration 23) are the tables the cache copies.
func TestCacheTriggersMatchTables(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rows, err := pool.Query(t.Context(), `SELECT DISTINCT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE t.tgname LIKE 'cache_forget%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := store.CachedTables()
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("tables with a cache_forget trigger %v, tables the cache copies %v", got, want)
	}
}

// TestCacheWriteKinds: a statement writing a copied table makes its kinds
// stale at commit, whatever its form; a read, or a write elsewhere, none.
func TestCacheWriteKinds(t *testing.T) {
	c := store.NewCache(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for sql, want := range map[string][]string{
		`UPDATE users SET language = $2 WHERE id = $1`:                                     {"user", "token"},
		`INSERT INTO memberships (operation_id, user_id, roles) VALUES ($1, $2, $3)`:       {"user"},
		`DELETE FROM sessions s USING user_sessions u WHERE u.token = s.token`:             {"session", "sighting"},
		`insert into "notifications" (user_id) values ($1)`:                                {"unread"},
		`WITH x AS (UPDATE api_tokens SET revoked_at = $2 RETURNING id) SELECT id FROM x`:  {"token"},
		`UPDATE operations SET name = $2 WHERE id = $1`:                                    {"user", "operation"},
		`UPDATE organizations SET name = $2 WHERE id = $1`:                                 {"organizations"},
		`SELECT * FROM users WHERE id = $1`:                                                nil,
		`UPDATE requests SET status = $2 WHERE id = $1`:                                    nil,
		`INSERT INTO sessions (token) VALUES ($1) ON CONFLICT (token) DO UPDATE SET x = 1`: {"session", "sighting"},
		`/* cache: own write */ WITH seen AS (UPDATE user_sessions SET x = 1) SELECT 1`:    nil,
	} {
		if got := c.WriteKinds(sql); !slices.Equal(got, want) {
			t.Errorf("%s: kinds %v, want %v", sql, got, want)
		}
	}
	// Every table the cache copies, written every way, makes some kind stale.
	for _, table := range store.CachedTables() {
		for _, sql := range []string{"INSERT INTO " + table + " (x) VALUES (1)", "UPDATE " + table + " SET x = 1",
			"DELETE FROM " + table + " WHERE x = 1"} {
			if len(c.WriteKinds(sql)) == 0 {
				t.Errorf("%s: makes nothing stale", sql)
			}
		}
	}
}

// cacheWorld is a user with a membership, a token and a session, seen by
// two instances.
type cacheWorld struct {
	a, b    instance
	user    domain.User
	op      domain.Operation
	secret  []byte
	session string
}

func newCacheWorld(t *testing.T) cacheWorld {
	t.Helper()
	url := testdb.URL(t)
	w := cacheWorld{a: newInstance(t, url), b: newInstance(t, url), session: "session-token-of-the-test"}
	ctx, now := t.Context(), time.Now().UTC()
	org, err := w.b.st.CreateOrganization(ctx, domain.Organization{Name: "World Food Programme", Acronym: "WFP",
		Type: domain.OrgUNAgency, UNEntity: true}, now)
	must(t, err)
	w.user, err = w.b.st.CreateUser(ctx, domain.User{Email: "field@example.org", Name: "Field", OrganizationID: org.ID, Language: "en"}, "", now)
	must(t, err)
	w.op, err = w.b.st.CreateOperation(ctx, domain.Operation{Code: "NPL-EQ-CACHE", Name: "Cache", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}, now)
	must(t, err)
	must(t, w.b.st.SetMembership(ctx, w.op.ID, w.user.ID, domain.RoleSet{domain.RoleRequester}, now))
	sum := sha256.Sum256([]byte("cmc_secret"))
	w.secret = sum[:]
	_, err = w.b.st.CreateAPIToken(ctx, domain.APIToken{UserID: w.user.ID, Name: "t", Prefix: "cmc_secr", CreatedAt: now,
		Scope: domain.TokenFull}, w.secret)
	must(t, err)
	must(t, w.b.ss.CommitCtx(ctx, w.session, []byte("data"), now.Add(time.Hour)))
	_, err = w.b.st.CreateUserSession(ctx, w.session, 0, domain.UserSession{UserID: w.user.ID, CreatedAt: now})
	must(t, err)
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readAll reads, through instance i, every kind of entry of the world.
func (w cacheWorld) readAll(t *testing.T, i instance) (u domain.User, ms []domain.Membership, tokenErr error, found bool, unread int) {
	t.Helper()
	ctx, now := t.Context(), time.Now()
	u, ms, _, err := i.st.UserForSession(ctx, w.user.ID, store.SessionSighting{Token: w.session, Now: now,
		Every: time.Minute, Idle: time.Hour})
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatal(err)
	}
	_, tokenErr = i.st.UseAPIToken(ctx, w.secret, now)
	_, found, err = i.ss.FindCtx(ctx, w.session)
	must(t, err)
	unread, err = i.st.UnreadCount(ctx, w.user.ID)
	must(t, err)
	return u, ms, tokenErr, found, unread
}

// TestCacheAcrossInstances: what instance B commits — disabling a user,
// taking a role away, revoking a token, ending a session, a new notice —
// instance A, which cached each, stops serving within the staleness
// bound (store.MaxStale), and well under the one second the product
// allows; until then A's reads cost no round trip.
func TestCacheAcrossInstances(t *testing.T) {
	t.Parallel()
	w := newCacheWorld(t)
	ctx, now := t.Context(), time.Now().UTC()
	// Reads fill A's cache; a read racing the notice of an earlier one's
	// own write (a token's first use, a sighting) is not kept, so read
	// until every kind is held.
	waitFor(t, "A to cache every kind", func() bool {
		w.readAll(t, w.a)
		for _, kind := range []string{"user", "token", "session", "sighting", "unread"} {
			if w.a.cache.Entries(kind) == 0 {
				return false
			}
		}
		return true
	})
	changes := []struct {
		name   string
		change func() error
		seen   func() bool
	}{
		{"a role taken away", func() error { return w.b.st.SetMembership(ctx, w.op.ID, w.user.ID, nil, now) },
			func() bool { _, ms, _, _, _ := w.readAll(t, w.a); return len(ms) == 0 }},
		{"a notice", func() error {
			_, err := w.b.st.InsertNotification(ctx, domain.Notification{UserID: w.user.ID, Kind: domain.NoticeExpired, CreatedAt: now})
			return err
		}, func() bool { _, _, _, _, n := w.readAll(t, w.a); return n == 1 }},
		{"the user disabled", func() error {
			u := w.user
			u.Disabled = true
			_, err := w.b.st.UpdateUser(ctx, u, now)
			return err
		}, func() bool {
			_, _, tokenErr, _, _ := w.readAll(t, w.a)
			u, _, _, err := w.a.st.UserWithFactor(ctx, w.user.ID, now)
			must(t, err)
			return u.Disabled && domain.ErrorCode(tokenErr) == domain.CodeNotFound
		}},
		{"the session ended", func() error { return w.b.ss.DeleteCtx(ctx, w.session) },
			func() bool { _, _, _, found, _ := w.readAll(t, w.a); return !found }},
		{"an organisation renamed", func() error {
			orgs, err := w.a.st.ListOrganizations(ctx) // held by A from here
			if err != nil || w.a.cache.Entries("organizations") != 1 {
				return fmt.Errorf("A holds %d organisations lists (%v)", w.a.cache.Entries("organizations"), err)
			}
			o := orgs[0]
			o.Name = "Renamed on B"
			_, err = w.b.st.UpdateOrganization(ctx, o, now)
			return err
		}, func() bool {
			orgs, err := w.a.st.ListOrganizations(ctx)
			must(t, err)
			return slices.ContainsFunc(orgs, func(o domain.Organization) bool { return o.Name == "Renamed on B" })
		}},
	}
	for _, c := range changes {
		must(t, c.change())
		took := waitFor(t, "A to see "+c.name, c.seen)
		t.Logf("%s: seen on the other instance after %v", c.name, took)
		if took > time.Second {
			t.Errorf("%s: the other instance served the old copy for %v (the product allows 1 s)", c.name, took)
		}
	}
}

// TestCacheOwnWrites: a change committed through an instance is read back
// by that same instance at once — never from the old copy.
func TestCacheOwnWrites(t *testing.T) {
	t.Parallel()
	w := newCacheWorld(t)
	ctx, now := t.Context(), time.Now().UTC()
	for _, lang := range []string{"fr", "ar", "es", "en"} {
		w.readAll(t, w.a)
		must(t, w.a.st.SetUserLanguage(ctx, w.user.ID, lang, now))
		if u, _, _, _, _ := w.readAll(t, w.a); u.Language != lang {
			t.Fatalf("after its own change to %s, A read %s", lang, u.Language)
		}
	}
	// Inside a transaction too: the commit, not the statement, forgets.
	w.readAll(t, w.a)
	must(t, w.a.st.InTx(ctx, func(st *store.Store) error {
		return st.SetMembership(ctx, w.op.ID, w.user.ID, domain.RoleSet{domain.RoleRequester, domain.RoleHCTMember}, now)
	}))
	if _, ms, _, _, _ := w.readAll(t, w.a); len(ms) != 1 || len(ms[0].Roles) != 2 {
		t.Fatalf("after its own transaction, A read memberships %+v", ms)
	}
}

// TestCacheOffWhenDeaf: an instance whose listener loses its connection
// stops using its cache within the staleness bound (its pings stop coming
// back; every read then goes to the database), and forgets everything
// before using it again, since what changed meanwhile was not heard.
func TestCacheOffWhenDeaf(t *testing.T) {
	t.Parallel()
	w := newCacheWorld(t)
	ctx, now := t.Context(), time.Now().UTC()
	w.readAll(t, w.a)
	// End A's listener's connection from the server's side.
	var ended bool
	must(t, w.b.pool.QueryRow(ctx, `SELECT bool_or(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN cmcoord_cache%' AND pid <> pg_backend_pid()`).Scan(&ended))
	if !ended {
		t.Fatal("found no listener to end")
	}
	u := w.user
	u.Name = "Renamed while A was deaf"
	_, err := w.b.st.UpdateUser(ctx, u, now)
	must(t, err)
	// Until A notices its listener is gone, it may serve its copy, but no
	// longer than the staleness bound: the pings stop coming back.
	took := waitFor(t, "A to read the new name", func() bool {
		got, _, _, _, _ := w.readAll(t, w.a)
		return got.Name == u.Name
	})
	if took > time.Second {
		t.Errorf("A served the old name for %v with its listener gone (the product allows 1 s)", took)
	}
	waitFor(t, "A's cache to come back", w.a.cache.On)
	if got, _, _, _, _ := w.readAll(t, w.a); got.Name != u.Name {
		t.Fatalf("A read %q once back", got.Name)
	}
}

// TestCacheNumberingIsSilent: numbering a request (the operation's counter,
// which no cache holds) forgets nothing on any instance, so creating
// requests leaves every cache warm; renaming the operation forgets it
// everywhere.
func TestCacheNumberingIsSilent(t *testing.T) {
	t.Parallel()
	w := newCacheWorld(t)
	ctx, now := t.Context(), time.Now().UTC()
	read := func(i instance) {
		w.readAll(t, i)
		_, err := i.st.GetOperationByCode(ctx, w.op.Code)
		must(t, err)
	}
	read(w.a)
	read(w.b)
	heard := func() {
		mark := w.a.cache.Clock()
		waitFor(t, "A to hear a ping sent after the change", func() bool { return w.a.cache.HeardSince(mark) })
	}
	must(t, w.b.st.InTx(ctx, func(st *store.Store) error {
		_, err := st.NextRequestNumber(ctx, w.op.ID)
		return err
	}))
	heard()
	for _, i := range []instance{w.a, w.b} {
		if i.cache.Entries("operation") == 0 || i.cache.Entries("user") == 0 {
			t.Errorf("numbering a request emptied a cache: %d operations, %d users", i.cache.Entries("operation"), i.cache.Entries("user"))
		}
	}
	op := w.op
	op.Name = "Renamed"
	_, err := w.b.st.UpdateOperation(ctx, op, now)
	must(t, err)
	heard()
	if n := w.a.cache.Entries("operation"); n != 0 {
		t.Errorf("A kept %d operations after a rename on B", n)
	}
	if got, err := w.a.st.GetOperationByCode(ctx, w.op.Code); err != nil || got.Name != "Renamed" {
		t.Errorf("A read %q, %v", got.Name, err)
	}
}

// TestCacheIgnoresForgedPings: a ping claiming to come from the future
// (a role that may NOTIFY, forging this instance's nonce) does not keep
// the cache on once the listener stops hearing.
func TestCacheIgnoresForgedPings(t *testing.T) {
	t.Parallel()
	w := newCacheWorld(t)
	ctx := t.Context()
	nonce := w.a.cache.Nonce()
	_, err := w.b.pool.Exec(ctx, `SELECT pg_notify('cmcoord_cache', $1)`, "p:"+nonce+":9000000000000000000")
	must(t, err)
	mark := w.a.cache.Clock()
	waitFor(t, "A to hear a ping sent after the forged one", func() bool { return w.a.cache.HeardSince(mark) })
	if w.a.cache.HeardSince(w.a.cache.Clock() + int64(time.Hour)) {
		t.Fatal("A took the forged ping's time as heard")
	}
}
