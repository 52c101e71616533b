package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// captured is the SQL and arguments of the last query a pool sent.
type captured struct {
	mu   sync.Mutex
	sql  string
	args []any
}

func (c *captured) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	c.sql, c.args = d.SQL, d.Args
	c.mu.Unlock()
	return ctx
}

func (c *captured) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// pgbenchRun is one pgbench comparison.
type pgbenchRun struct {
	key    string // the endpoint compared
	label  string // what ran, when not the endpoint's main query
	script string // the pgbench script
	tps    float64
	err    error
}

// createScripts are what PostgreSQL alone does for one creation through
// the API, in three sizes (each file says what it holds): every statement
// the creation sends, the same without the gapless number, and only the
// request row and its first event.
//
//go:embed pgbench/create-*.sql
var createScripts embed.FS

// createScriptOrder is createScripts' files, largest first, with what
// each leaves out.
var createScriptOrder = []struct{ file, label string }{
	{"create-full.sql", "every statement of a creation"},
	{"create-unnumbered.sql", "the same without the gapless number"},
	{"create-core.sql", "only the request row and its first event"},
}

var placeholderRE = regexp.MustCompile(`\$(\d+)`)

// pageQueries captures, through the store itself, the main query of the
// list page (the officer's first page: store.ListRequests with the
// filter the service builds for an officer) and of the request page
// (store.GetRequest), as pgbench scripts: each $n becomes :pn, set with
// -D, or :id drawn over the requests' IDs for the request page.
func pageQueries(ctx context.Context, dbURL string, db *benchDB) (map[string]string, map[string][]string, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, nil, err
	}
	tr := &captured{}
	cfg.ConnConfig.Tracer = tr
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer pool.Close()
	st := store.New(pool)
	op, err := st.GetOperationByCode(ctx, db.opCode)
	if err != nil {
		return nil, nil, err
	}
	scripts, defs := map[string]string{}, map[string][]string{}

	f := domain.RequestFilter{}
	if err := domain.NormalizeFilter(&f); err != nil {
		return nil, nil, err
	}
	f.OperationID = op.ID // an officer: no drafts of their own, every organisation
	if _, err := st.ListRequests(ctx, f); err != nil {
		return nil, nil, err
	}
	var vars []string
	for i, a := range tr.args {
		v, err := pgText(a)
		if err != nil {
			return nil, nil, fmt.Errorf("list query argument $%d: %w", i+1, err)
		}
		vars = append(vars, fmt.Sprintf("p%d=%s", i+1, v))
	}
	scripts["list"] = placeholderRE.ReplaceAllString(tr.sql, ":p$1") + ";\n"
	defs["list"] = vars

	var lo, hi int64
	if err := pool.QueryRow(ctx, `SELECT min(id), max(id) FROM requests`).Scan(&lo, &hi); err != nil {
		return nil, nil, err
	}
	if _, err := st.GetRequest(ctx, db.officerIDs[0]); err != nil {
		return nil, nil, err
	}
	if len(tr.args) != 1 {
		return nil, nil, fmt.Errorf("GetRequest sent %d arguments, want 1", len(tr.args))
	}
	scripts["show"] = fmt.Sprintf("\\set id random(%d, %d)\n%s;\n", lo, hi, strings.ReplaceAll(tr.sql, "$1", ":id"))
	return scripts, defs, nil
}

// pgText is a as pgbench passes it (text).
func pgText(a any) (string, error) {
	switch v := a.(type) {
	case int:
		return strconv.Itoa(v), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case string:
		if strings.ContainsAny(v, " \t\n=") {
			return "", fmt.Errorf("string %q cannot pass through pgbench -D", v)
		}
		return v, nil
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05.999999Z"), nil
	default:
		return "", fmt.Errorf("type %T not supported", a)
	}
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs pgbench -n -M prepared -c clients -j 2 -T secs on the
// bench database with each page's main query.
func runPgbench(ctx context.Context, dbURL string, db *benchDB, clients int, d time.Duration, logf func(string, ...any)) []pgbenchRun {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return []pgbenchRun{{key: "list", err: errors.New("pgbench is not installed (Debian: postgresql-client)")}}
	}
	scripts, defs, err := pageQueries(ctx, dbURL, db)
	if err != nil {
		return []pgbenchRun{{key: "list", err: err}}
	}
	tmp, err := os.MkdirTemp("", "cmcoord-pgbench-*")
	if err != nil {
		return []pgbenchRun{{key: "list", err: err}}
	}
	defer os.RemoveAll(tmp)
	var out []pgbenchRun
	for _, key := range []string{"list", "show"} {
		r := pgbenchRun{key: key, script: scripts[key]}
		r.tps, r.err = pgbenchScript(ctx, bin, tmp, key, scripts[key], defs[key], dbURL, clients, d, logf)
		out = append(out, r)
	}
	return out
}

// runCreatePgbench runs createScripts on the bench database, their
// template the seed's first request and their operation the create
// load's (writeOperation), so that the create figure can be read against
// what PostgreSQL alone does with the same statements on the same
// machine. Their rows land in writeOperation, as the create load's do.
func runCreatePgbench(ctx context.Context, dbURL string, pool *pgxpool.Pool, clients int, d time.Duration, logf func(string, ...any)) []pgbenchRun {
	fail := func(err error) []pgbenchRun {
		return []pgbenchRun{{key: "create", label: createScriptOrder[0].label, err: err}}
	}
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return fail(errors.New("pgbench is not installed (Debian: postgresql-client)"))
	}
	var tpl, op int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT min(id) FROM requests), (SELECT id FROM operations WHERE code = $1)`,
		writeOperation).Scan(&tpl, &op); err != nil {
		return fail(fmt.Errorf("the scripts' template and operation: %w", err))
	}
	tmp, err := os.MkdirTemp("", "cmcoord-pgbench-*")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	defs := []string{fmt.Sprintf("tpl=%d", tpl), fmt.Sprintf("op=%d", op)}
	var out []pgbenchRun
	for _, f := range createScriptOrder {
		b, err := createScripts.ReadFile("pgbench/" + f.file)
		r := pgbenchRun{key: "create", label: f.label, script: f.file, err: err}
		if err == nil {
			r.tps, r.err = pgbenchScript(ctx, bin, tmp, strings.TrimSuffix(f.file, ".sql"), string(b), defs, dbURL, clients, d, logf)
		}
		out = append(out, r)
	}
	return out
}

// pgbenchScript runs pgbench -n -M prepared -c clients -j 2 -T d with
// script (written into dir as name.sql) and the variables defs, and
// returns its tps.
func pgbenchScript(ctx context.Context, bin, dir, name, script string, defs []string, dbURL string, clients int, d time.Duration,
	logf func(string, ...any)) (float64, error) {
	path := filepath.Join(dir, name+".sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return 0, err
	}
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(max(1, int(d.Seconds()))), "-f", path}
	for _, v := range defs {
		args = append(args, "-D", v)
	}
	args = append(args, dbURL)
	logf("pgbench %s: %s", name, strings.Join(args[:len(args)-1], " "))
	b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	m := tpsRE.FindSubmatch(b)
	switch {
	case err != nil:
		return 0, fmt.Errorf("pgbench: %v: %s", err, lastLines(string(b), 3))
	case m == nil:
		return 0, fmt.Errorf("pgbench printed no tps: %s", lastLines(string(b), 3))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
