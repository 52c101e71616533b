package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestTwoServersLockOut: two instances share one database, each with its
// in-process cache (store.Cache). A user browsing on instance A, whose
// identity A has cached, is locked out of A within one second of an
// administrator disabling them on instance B, and loses an operation's
// pages as soon as B takes their membership away — A never serves the old
// copy longer.
func TestTwoServersLockOut(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	if out, err := runCmd(t, "demo", "-database-url", dbURL); err != nil {
		t.Fatalf("demo: %v %s", err, out)
	}
	a := startServerOn(t, dbURL)
	b := startServerOn(t, dbURL, "-no-migrate")
	svc := services(t, dbURL)
	admin, err := svc.access.SignIn(t.Context(), "admin@example.org", demo.Password, "127.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	enrol(t, svc, admin)
	out, err := runCmd(t, "token", "create", "-database-url", dbURL, "-email", "admin@example.org", "-name", "two servers")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out)
	onB := func(method, path string, body any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), method, b.URL+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s on B: %d", method, path, resp.StatusCode)
		}
	}
	signInOn := func(base, email string) *http.Client {
		t.Helper()
		c := newClient(t)
		form := url.Values{"email": {email}, "password": {demo.Password}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") == "/login" {
			t.Fatalf("sign in %s: %d to %s", email, resp.StatusCode, resp.Header.Get("Location"))
		}
		return c
	}
	status := func(c *http.Client, path string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, a.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// until polls A for up to 5 s and reports how long the old answer lasted.
	until := func(what string, done func() bool) {
		t.Helper()
		start := time.Now()
		for !done() {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("A still served the old copy 5 s after %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(start)
		t.Logf("A saw %s after %v", what, took)
		if took > time.Second {
			t.Errorf("A served the old copy for %v after %s (the product allows 1 s)", took, what)
		}
	}
	const opPage = "/operations/NPL-EQ-DEMO/requests"

	viewer := signInOn(a.URL, "viewer@example.org")
	for range 3 { // the identity is now in A's cache
		if got := status(viewer, opPage); got != http.StatusOK {
			t.Fatalf("viewer on A: %d", got)
		}
	}
	viewerID := demoActor(t, svc, "viewer@example.org").UserID
	onB(http.MethodDelete, "/api/v1/operations/NPL-EQ-DEMO/members/"+strconv.FormatInt(viewerID, 10), nil)
	until("the viewer's membership removed on B", func() bool { return status(viewer, opPage) == http.StatusNotFound })

	requester := signInOn(a.URL, "requester@example.org")
	for range 3 {
		if got := status(requester, opPage); got != http.StatusOK {
			t.Fatalf("requester on A: %d", got)
		}
	}
	requesterID := demoActor(t, svc, "requester@example.org").UserID
	onB(http.MethodPatch, "/api/v1/users/"+strconv.FormatInt(requesterID, 10), map[string]any{"disabled": true})
	until("the requester disabled on B", func() bool { return status(requester, opPage) == http.StatusSeeOther })
}
