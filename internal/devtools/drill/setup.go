package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/pgserver"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// operation is the demo operation the drills write to.
const operation = "NPL-EQ-DEMO"

// dbName is the drills' database.
const dbName = "cmcoord"

// tokens are API tokens of demo users, and of the load's writers.
type tokens struct {
	requester, officer string
	writers            []string
}

// writersFor is how many writer accounts a load of rate writes a second
// needs under the per-user limit on new drafts (domain.LimitDrafts), with
// room to spare: the drills measure faults, not the limit.
func writersFor(rate int) int {
	perUser := float64(domain.LimitDrafts.Max) / domain.LimitDrafts.Window.Seconds()
	return int(math.Ceil(float64(rate)/perUser*1.5)) + 1
}

// prepare creates the cmcoord database on c, migrates it and loads the
// demo data with the cmcoord binary (`cmcoord demo`, as an operator
// would), and returns the database's URL and API tokens for the demo
// requester and officer (`cmcoord token create`) and for writers new
// requester accounts of the demo operation (made through the services,
// as an administrator would).
func (e *env) prepare(ctx context.Context, c *pgserver.Cluster, writers int) (string, tokens, error) {
	url, err := pgserver.EnsureDatabase(ctx, c.URL, dbName)
	if err != nil {
		return "", tokens{}, err
	}
	if _, err := e.cmcoord(ctx, url, "demo"); err != nil {
		return "", tokens{}, err
	}
	var t tokens
	for _, u := range []struct {
		email string
		into  *string
	}{{"requester@example.org", &t.requester}, {"officer@example.org", &t.officer}} {
		out, err := e.cmcoord(ctx, url, "token", "create", "-email", u.email, "-name", "drill")
		if err != nil {
			return "", tokens{}, err
		}
		*u.into = strings.TrimSpace(out)
	}
	var err2 error
	if t.writers, err2 = makeWriters(ctx, url, writers); err2 != nil {
		return "", tokens{}, err2
	}
	e.logf("database %s migrated, demo data loaded, %d writer accounts and API tokens made", dbName, writers)
	return url, t, nil
}

// makeWriters creates n requester accounts of the demo operation, in the
// demo requester's organisation, and returns an API token for each.
func makeWriters(ctx context.Context, databaseURL string, n int) ([]string, error) {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	st := store.New(pool)
	quiet := slog.New(slog.DiscardHandler)
	access := service.NewAccess(st, time.Now, quiet)
	directory := service.NewDirectory(st, access, time.Now, quiet)
	admin, err := st.GetUserByEmail(ctx, "admin@example.org")
	if err != nil {
		return nil, fmt.Errorf("demo admin: %w", err)
	}
	by, err := access.Actor(ctx, admin.ID, admin.SessionEpoch)
	if err != nil {
		return nil, err
	}
	requester, err := st.GetUserByEmail(ctx, "requester@example.org")
	if err != nil {
		return nil, fmt.Errorf("demo requester: %w", err)
	}
	out := make([]string, n)
	for i := range n {
		email := fmt.Sprintf("writer%d@drill.example.org", i)
		u, _, err := directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: email,
			Name: fmt.Sprintf("Drill writer %d", i), OrganizationID: requester.OrganizationID, Language: "en"}})
		if err != nil {
			return nil, fmt.Errorf("writer %s: %w", email, err)
		}
		if err := directory.SetMember(ctx, by, operation, u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
			return nil, fmt.Errorf("writer %s: %w", email, err)
		}
		if out[i], _, err = access.IssueTokenForEmail(ctx, email, domain.NewToken{Name: "drill", Scope: domain.TokenFull}); err != nil {
			return nil, fmt.Errorf("token for %s: %w", email, err)
		}
	}
	return out, nil
}

// call sends one JSON API call and decodes a 2xx answer into out.
func call(ctx context.Context, base, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %.300s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// requestBody is a complete request (every checklist item met) as the
// body of POST /operations/{code}/requests.
func requestBody(title string, now time.Time) map[string]any {
	return fixture.Body(fixture.Request(title, now))
}

// submitted is a request submitted through the API, ready for review.
type submitted struct {
	ID      int64 `json:"id"`
	Version int   `json:"version"`
}

// submitRequest takes a new complete request through the API to
// submitted: the requester creates and submits it.
func submitRequest(ctx context.Context, base, requester, title string) (submitted, error) {
	var r submitted
	if err := call(ctx, base, requester, "POST", "/operations/"+operation+"/requests", requestBody(title, time.Now()), &r); err != nil {
		return r, err
	}
	err := call(ctx, base, requester, "POST", fmt.Sprintf("/requests/%d/submit", r.ID), map[string]any{"version": r.Version}, &r)
	return r, err
}

// openReview opens r's HCT review as the officer, closing at deadline
// (as the review's rules round it: down to the minute).
func openReview(ctx context.Context, base, officer string, r submitted, deadline time.Time) error {
	return call(ctx, base, officer, "POST", fmt.Sprintf("/requests/%d/review", r.ID),
		map[string]any{"version": r.Version, "deadline": deadline.UTC().Format(time.RFC3339)}, nil)
}
