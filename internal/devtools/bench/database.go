package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/devtools/bench/seed"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/pgserver"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/migrations"
)

// markerKey is the app_settings key recording what a finished seed holds;
// a database without it (an interrupted seed) or with other sizes is
// dropped and seeded again.
const markerKey = "bench.seeded"

// The demo accounts the clients sign in as, and the operation they load.
const (
	officerEmail   = "officer@example.org"
	requesterEmail = "requester@example.org"
	fieldEmail     = "field@example.org"
	benchOperation = "NPL-EQ-DEMO"
	// writeOperation is where the create load writes: an operation of its
	// own, so that the drafts it adds never change the data set the other
	// runs read (the officer's list scans past drafts it may not see).
	writeOperation = "BENCH-WRITE"
)

// benchDB is the seeded database and what the clients need of it.
type benchDB struct {
	name, url  string
	reused     bool
	seedTime   time.Duration
	requests   int64 // rows in requests (seeded and demo)
	events     int64 // rows in events
	opCode     string
	opRequests int64    // requests in opCode
	opCodes    []string // every operation, opCode first (the exports phase)
	// Request IDs each signed-in user may open, sampled from opCode.
	officerIDs, requesterIDs []int64
	// API tokens of the two users.
	officerToken, requesterToken string
	// API tokens of the create load's writers (requesters of opCode).
	writerTokens []string
}

// prepareDatabase creates, migrates and seeds the database, or reuses a
// finished one of the same name and sizes.
// Its sessions commit durably (synchronous_commit = on, whatever the
// server's default: the create figure must be durable; fsync is the
// server's and is printed). With create, it makes the -writers accounts
// once and gives each a fresh API token.
func prepareDatabase(ctx context.Context, serverURL string, o options, create bool, logf func(string, ...any)) (*benchDB, error) {
	db := &benchDB{name: o.name, opCode: benchOperation}
	var err error
	want := fmt.Sprintf("requests=%d events=%d schema=%d", o.requests, o.events, migrations.Latest())

	exists, err := databaseExists(ctx, serverURL, o.name)
	if err != nil {
		return nil, err
	}
	if exists {
		got, err := readMarker(ctx, serverURL, o.name)
		if err != nil {
			return nil, err
		}
		if got == want {
			db.reused = true
		} else {
			logf("database %s exists but is not a finished seed of these sizes (%q); dropping it", o.name, got)
			if err := dropDatabase(ctx, serverURL, o.name); err != nil {
				return nil, err
			}
		}
	}
	if db.url, err = pgserver.EnsureDatabase(ctx, serverURL, o.name); err != nil {
		return nil, err
	}
	logf("database %s on %s", o.name, redact(serverURL))
	if err := alterDatabase(ctx, serverURL, o.name, "synchronous_commit", "on"); err != nil {
		return nil, err
	}

	start := time.Now()
	if err := store.Migrate(ctx, db.url); err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, db.url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	st := store.New(pool)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, time.Now, quiet)
	directory := service.NewDirectory(st, access, time.Now, quiet)
	if db.reused {
		logf("reusing the seeded database (%s)", want)
	} else {
		if err := seedDatabase(ctx, pool, st, access, directory, o, quiet, logf); err != nil {
			return nil, err
		}
		db.seedTime = time.Since(start)
		if err := st.PutSetting(ctx, markerKey, want, time.Now()); err != nil {
			return nil, err
		}
		logf("seeded in %s (migrate, demo data, requests, events, VACUUM ANALYZE)", db.seedTime.Round(100*time.Millisecond))
	}
	if err := db.load(ctx, pool, st, access); err != nil {
		return nil, err
	}
	if create && o.writers > 0 {
		t := time.Now()
		if db.writerTokens, err = ensureWriters(ctx, st, access, directory, o.writers); err != nil {
			return nil, err
		}
		logf("%d writer accounts ready, tokens issued, in %s", o.writers, time.Since(t).Round(100*time.Millisecond))
	}
	return db, nil
}

// ensureWriters makes n requester accounts of writeOperation (made as a
// copy of the bench operation) in the demo requester's organisation
// (once: a kept database has them) and issues each a fresh API token.
// One account may create 20 requests a minute (domain.LimitDrafts): the
// create load spreads over them all.
func ensureWriters(ctx context.Context, st *store.Store, access *service.Access, directory *service.Directory, n int) ([]string, error) {
	admin, err := st.GetUserByEmail(ctx, "admin@example.org")
	if err != nil {
		return nil, fmt.Errorf("demo admin: %w", err)
	}
	by, err := access.Actor(ctx, admin.ID, admin.SessionEpoch)
	if err != nil {
		return nil, err
	}
	requester, err := st.GetUserByEmail(ctx, requesterEmail)
	if err != nil {
		return nil, fmt.Errorf("demo requester: %w", err)
	}
	op, err := st.GetOperationByCode(ctx, writeOperation)
	if err != nil {
		if op, err = st.GetOperationByCode(ctx, benchOperation); err != nil {
			return nil, fmt.Errorf("bench operation: %w", err)
		}
		op.Code, op.Name = writeOperation, "Bench: the create load's operation"
		if op, err = directory.CreateOperation(ctx, by, op); err != nil {
			return nil, fmt.Errorf("operation %s: %w", writeOperation, err)
		}
	}
	out := make([]string, n)
	for i := range n {
		email := fmt.Sprintf("writer%d@bench.example.org", i)
		u, err := st.GetUserByEmail(ctx, email)
		if err != nil {
			if u, _, err = directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: email,
				Name: fmt.Sprintf("Bench writer %d", i), OrganizationID: requester.OrganizationID, Language: "en"}}); err != nil {
				return nil, fmt.Errorf("writer %s: %w", email, err)
			}
		}
		if roles, err := st.MembershipRoles(ctx, op.ID, u.ID); err != nil || len(roles) == 0 {
			if err := directory.SetMember(ctx, by, writeOperation, u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
				return nil, fmt.Errorf("writer %s: %w", email, err)
			}
		}
		if out[i], _, err = access.IssueTokenForEmail(ctx, email, domain.NewToken{Name: "bench " + time.Now().Format(time.RFC3339), Scope: domain.TokenFull}); err != nil {
			return nil, fmt.Errorf("token for %s: %w", email, err)
		}
	}
	return out, nil
}

// alterDatabase sets a default of every new session of database name.
func alterDatabase(ctx context.Context, serverURL, name, setting, value string) error {
	conn, err := adminConn(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` SET `+setting+` = `+value)
	return err
}

// settings are the server's settings that decide what the figures mean,
// as a session of the bench database sees them.
type settings struct {
	version, fsync, syncCommit, sharedBuffers, preload string
}

func readSettings(ctx context.Context, pool *pgxpool.Pool) (settings, error) {
	var s settings
	err := pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('shared_buffers'), current_setting('shared_preload_libraries')`).
		Scan(&s.version, &s.fsync, &s.syncCommit, &s.sharedBuffers, &s.preload)
	return s, err
}

// overdueSQL counts the requests the deadline job would expire now:
// those in a status the rulebook lets the system expire from, past their
// required-by time.
const overdueSQL = `SELECT count(*) FROM requests WHERE status = ANY($1) AND required_by <= now()`

// expirable is the statuses ActionExpire leaves from (the rulebook's).
func expirable() []string {
	r, _ := domain.TransitionFor(domain.ActionExpire)
	out := make([]string, len(r.From))
	for i, s := range r.From {
		out[i] = string(s)
	}
	return out
}

// settle waits until the server's deadline job has expired every overdue
// request (a fresh seed holds thousands: required-by dates over the past
// year), so that the quiet runs measure the pages with the job idle. It
// returns how long that took (0 when nothing was due).
func settle(ctx context.Context, pool *pgxpool.Pool, limit time.Duration, logf func(string, ...any)) (settled, error) {
	var s settled
	start := time.Now()
	last := time.Time{}
	for {
		var n int64
		if err := pool.QueryRow(ctx, overdueSQL, expirable()).Scan(&n); err != nil {
			return s, err
		}
		if s.first == 0 && n > 0 {
			s.first = n
		}
		if limit == 0 { // -settle 0: measure with the job busy, and say so
			s.busy = n
			if n > 0 {
				logf("-settle 0: %d requests overdue; the deadline job is busy during the runs", n)
			}
			return s, nil
		}
		if n == 0 {
			if s.first > 0 {
				s.took = time.Since(start)
				logf("the deadline job cleared %d overdue requests in %s", s.first, s.took.Round(100*time.Millisecond))
				// The job left as many dead row versions as it expired
				// requests, and their index entries: until a vacuum, every
				// index scan of a queue steps over them (2 ms instead of
				// 0.1 ms for the dashboard's queues). Autovacuum would
				// clear them within a minute; the quiet runs measure the
				// steady state after it, not the minute after a backlog.
				t := time.Now()
				if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) requests, reviews, events, notifications, outbox`); err != nil {
					return s, err
				}
				logf("VACUUM ANALYZE of what the job wrote in %s (as autovacuum would); quiet runs start", time.Since(t).Round(100*time.Millisecond))
			}
			return s, nil
		}
		if time.Since(start) > limit {
			return s, fmt.Errorf("the deadline job left %d overdue requests after %s (-settle)", n, limit)
		}
		if time.Since(last) > 10*time.Second {
			logf("waiting for the deadline job: %d requests overdue", n)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// settled is what the settle step waited for.
type settled struct {
	first int64
	took  time.Duration
	busy  int64 // overdue when the runs started (-settle 0)
}

// seedDatabase loads the demo data through the services, then the bulk
// requests and events (package seed), then refreshes the planner's
// statistics as autovacuum eventually would.
func seedDatabase(ctx context.Context, pool *pgxpool.Pool, st *store.Store, access *service.Access,
	directory *service.Directory, o options, quiet *slog.Logger, logf func(string, ...any)) error {
	_, err := demo.Load(ctx, demo.Services{
		System:    service.NewSystem(st, migrations.Latest(), time.Now, quiet),
		Access:    access,
		Directory: directory,
		Requests:  service.NewRequests(st, time.Now, quiet),
	})
	if err != nil {
		return err
	}
	ops, err := st.ListOperations(ctx)
	if err != nil {
		return err
	}
	var (
		opIDs     []int64
		benchOpID int64
	)
	for _, op := range ops {
		if op.Code == benchOperation {
			benchOpID = op.ID
		}
	}
	if benchOpID == 0 {
		return fmt.Errorf("the demo data has no operation %s", benchOperation)
	}
	opIDs = append(opIDs, benchOpID) // the first operation gets half the requests
	for _, op := range ops {
		if op.ID != benchOpID {
			opIDs = append(opIDs, op.ID)
		}
	}
	var authors []seed.Author
	for _, email := range []string{requesterEmail, fieldEmail} {
		u, err := st.GetUserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("demo user %s: %w", email, err)
		}
		authors = append(authors, seed.Author{OrgID: u.OrganizationID, UserID: u.ID})
	}
	// The template: the operation's first demo request, and its creation
	// event's snapshot.
	var (
		templateID int64
		created    string
	)
	if err := pool.QueryRow(ctx,
		`SELECT r.id, e.payload FROM requests r JOIN events e ON e.request_id = r.id AND e.seq = 1
		 WHERE r.operation_id = $1 ORDER BY r.id LIMIT 1`, benchOpID).Scan(&templateID, &created); err != nil {
		return fmt.Errorf("template request: %w", err)
	}

	t := time.Now()
	first, last, err := seed.Requests(ctx, pool, seed.RequestsInput{
		TemplateID: templateID, Operations: opIDs, Authors: authors, Count: o.requests, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	logf("inserted %d requests in %s", last-first+1, time.Since(t).Round(100*time.Millisecond))
	t = time.Now()
	n, err := seed.Events(ctx, pool, first, last, o.events, []byte(created), o.workers)
	if err != nil {
		return err
	}
	logf("copied %d events in %s", n, time.Since(t).Round(100*time.Millisecond))
	t = time.Now()
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) requests, events, operations, users, organizations`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	logf("VACUUM ANALYZE in %s", time.Since(t).Round(100*time.Millisecond))
	return nil
}

// load reads the counts, samples the request IDs each user may open and
// issues the two users' API tokens.
func (db *benchDB) load(ctx context.Context, pool *pgxpool.Pool, st *store.Store, access *service.Access) error {
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM events)`).
		Scan(&db.requests, &db.events); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	op, err := st.GetOperationByCode(ctx, db.opCode)
	if err != nil {
		return err
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM requests WHERE operation_id = $1`, op.ID).Scan(&db.opRequests); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	ops, err := st.ListOperations(ctx)
	if err != nil {
		return err
	}
	db.opCodes = []string{db.opCode}
	for _, o := range ops {
		if o.Code != db.opCode {
			db.opCodes = append(db.opCodes, o.Code)
		}
	}
	requester, err := st.GetUserByEmail(ctx, requesterEmail)
	if err != nil {
		return err
	}
	// An officer opens any submitted request; a requester any of their
	// organisation's, drafts included. A random sample of 2,000 IDs
	// spread over the whole table, so pages come from cold and hot parts
	// alike.
	sample := func(where string, args ...any) ([]int64, error) {
		rows, _ := pool.Query(ctx, `SELECT id FROM requests WHERE operation_id = $1 AND `+where+` ORDER BY random() LIMIT 2000`,
			append([]any{op.ID}, args...)...)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err == nil && len(ids) == 0 {
			err = fmt.Errorf("no request to open in %s", db.opCode)
		}
		return ids, err
	}
	if db.officerIDs, err = sample(`status <> 'draft'`); err != nil {
		return err
	}
	if db.requesterIDs, err = sample(`requesting_org_id = $2`, requester.OrganizationID); err != nil {
		return err
	}
	for _, u := range []struct {
		email string
		token *string
	}{{officerEmail, &db.officerToken}, {requesterEmail, &db.requesterToken}} {
		if *u.token, _, err = access.IssueTokenForEmail(ctx, u.email, domain.NewToken{Name: "bench " + time.Now().Format(time.RFC3339), Scope: domain.TokenFull}); err != nil {
			return fmt.Errorf("token for %s: %w", u.email, err)
		}
	}
	return nil
}

// adminConn connects to the server's maintenance database.
func adminConn(ctx context.Context, serverURL string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(serverURL), err)
	}
	return conn, nil
}

func databaseExists(ctx context.Context, serverURL, name string) (bool, error) {
	conn, err := adminConn(ctx, serverURL)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var ok bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok)
	return ok, err
}

// readMarker returns the seed marker of database name, or "" when it has
// none (or no schema yet).
func readMarker(ctx context.Context, serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	conn, err := adminConn(ctx, u.String())
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	err = conn.QueryRow(ctx, `SELECT value FROM app_settings WHERE key = $1`, markerKey).Scan(&v)
	if err != nil {
		return "", nil // no table or no row: not a finished seed
	}
	return v, nil
}

func dropDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := adminConn(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
