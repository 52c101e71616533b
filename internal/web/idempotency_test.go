package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// auditCount is how many entries the audit trails hold: the requests'
// events and the directory log.
func (f *fixture) auditCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(),
		`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM directory_events)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fieldInputs are valid values for the inputs of the request page's
// forms that a free text would not satisfy, by name.
func fieldInputs(now time.Time) map[string]string {
	today := now.Format(time.DateOnly)
	return map[string]string{
		"provider_iso3": "IND", "asset_count": "2", "date": today, "end_date": now.AddDate(1, 0, 0).Format(time.DateOnly),
		"status": "consented", "sorties": "2", "flight_hours": "3", "tonnes": "1", "passengers": "4", "medevacs": "0",
		"people_reached": "10", "answer": "yes", "value": "support", "outcome": "approved", "civilian_reference": "SRF-2026-0042",
	}
}

// filled is what a person submits with form s: its values as rendered,
// with every empty input given a valid value (fieldInputs, else the
// first option, else some words).
func filled(s *goquery.Selection, now time.Time) url.Values {
	q := url.Values{}
	given := fieldInputs(now)
	fill := func(name, cur string, options []string) string {
		if cur != "" {
			return cur
		}
		if v, ok := given[name]; ok {
			return v
		}
		for _, o := range options {
			if o != "" {
				return o
			}
		}
		return "Given by the walk."
	}
	radios := map[string][]string{}
	s.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, val := in.AttrOr("name", ""), in.AttrOr("value", "")
		switch in.AttrOr("type", "text") {
		case "radio":
			radios[name] = append(radios[name], val)
			if _, on := in.Attr("checked"); on {
				q.Set(name, val)
			}
		case "checkbox":
			if _, on := in.Attr("checked"); on {
				q.Add(name, val)
			}
		case "submit":
		case "datetime-local":
			if val == "" {
				val = now.Add(48 * time.Hour).Format("2006-01-02T15:04")
			}
			q.Set(name, val)
		default:
			q.Set(name, fill(name, val, nil))
		}
	})
	for name, vals := range radios { // the value wanted when the form offers it
		if q.Get(name) == "" {
			if v := given[name]; slices.Contains(vals, v) {
				q.Set(name, v)
			} else {
				q.Set(name, vals[0])
			}
		}
	}
	s.Find("textarea[name]").Each(func(_ int, ta *goquery.Selection) {
		q.Set(ta.AttrOr("name", ""), fill(ta.AttrOr("name", ""), strings.TrimSpace(ta.Text()), nil))
	})
	s.Find("select[name]").Each(func(_ int, sel *goquery.Selection) {
		var opts []string
		sel.Find("option").Each(func(_ int, o *goquery.Selection) { opts = append(opts, o.AttrOr("value", "")) })
		q.Set(sel.AttrOr("name", ""), fill(sel.AttrOr("name", ""), sel.Find("option[selected]").AttrOr("value", ""), opts))
	})
	if b := s.Find("button[name]").First(); b.Length() == 1 {
		q.Set(b.AttrOr("name", ""), b.AttrOr("value", ""))
	}
	return q
}

// TestFormsActOnce walks the request page in every stage of the
// workflow, as each member who acts there: every form the page shows
// them carries a fresh idempotency key; posted twice with its key (a
// double click, a retry over a flaky link) it acts once — the second
// post is answered the first's redirect (Idempotent-Replayed), and the
// audit trail holds nothing more. The same key with other values is
// refused with a message, and changes nothing. When the first answer
// was lost (the server stopped after the change), the repost is sent to
// the request's page, and changes nothing either.
func TestFormsActOnce(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	hc := w.mustHC(t)
	clients := map[string]*http.Client{"requester": w.requester, "officer": w.officer, "hct_member": w.hct,
		"hc": w.signIn(t, "hc@example.org")}
	ctx := t.Context()
	officer, member := w.mustActor(t, w.officerUser), w.mustActor(t, w.hcU)
	must := func(t *testing.T, _ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	version := func(t *testing.T, id int64) int {
		d, err := w.reqs.Get(ctx, officer, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Request.Version
	}
	// A request in each stage, built through the services.
	stages := []struct {
		name  string
		build func(t *testing.T) int64
	}{
		{"draft", func(t *testing.T) int64 { return w.create(t, fx.Request("Walked", w.clock.Now())).ID }},
		{"submitted", func(t *testing.T) int64 { return w.submitted(t, "Walked").ID }},
		{"under review", func(t *testing.T) int64 {
			r := w.submitted(t, "Walked")
			_, err := w.revs.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version})
			must(t, nil, err)
			return r.ID
		}},
		{"under review, every vote in", func(t *testing.T) int64 {
			r := w.submitted(t, "Walked")
			_, err := w.revs.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version})
			must(t, nil, err)
			_, err = w.revs.Vote(ctx, member, r.ID, service.VoteInput{Value: domain.VoteSupport})
			must(t, nil, err)
			return r.ID
		}},
		{"review closed without quorum", func(t *testing.T) int64 {
			r := w.submitted(t, "Walked")
			_, err := w.revs.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version, Deadline: w.clock.Now().Add(24 * time.Hour)})
			must(t, nil, err)
			w.clock.Advance(25 * time.Hour)
			defer w.clock.Advance(-25 * time.Hour)
			_, err = w.revs.RunDue(ctx)
			must(t, nil, err)
			return r.ID
		}},
		{"review closed", func(t *testing.T) int64 {
			r := w.submitted(t, "Walked")
			_, err := w.revs.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version})
			must(t, nil, err)
			_, err = w.revs.Vote(ctx, member, r.ID, service.VoteInput{Value: domain.VoteSupport})
			must(t, nil, err)
			_, err = w.revs.Close(ctx, officer, r.ID, version(t, r.ID))
			must(t, nil, err)
			return r.ID
		}},
		{"approved", func(t *testing.T) int64 { return w.approved(t, "Walked", hc).ID }},
	}
	// Later stages: the earlier one, then a form of the page posted.
	next := func(from int, who, action string) func(t *testing.T) int64 {
		return func(t *testing.T) int64 {
			id := stages[from].build(t)
			page := "/requests/" + strconv.FormatInt(id, 10)
			form := doc(t, w.get(t, clients[who], page)).Find(`main form[action="` + page + "/" + action + `"]`)
			if form.Length() == 0 {
				t.Fatalf("no %s form for the %s", action, who)
			}
			wantStatus(t, w.post(t, clients[who], page+"/"+action, filled(form.First(), w.clock.Now())), http.StatusSeeOther)
			return id
		}
	}
	stages = append(stages, struct {
		name  string
		build func(t *testing.T) int64
	}{"consented", next(len(stages)-1, "officer", "consent")})
	stages = append(stages, struct {
		name  string
		build func(t *testing.T) int64
	}{"tasked", next(len(stages)-1, "officer", "tasking")})
	stages = append(stages, struct {
		name  string
		build func(t *testing.T) int64
	}{"in execution", next(len(stages)-1, "officer", "execution")})
	stages = append(stages, struct {
		name  string
		build func(t *testing.T) int64
	}{"completed", next(len(stages)-1, "officer", "completion")})

	posted := map[string]bool{}
	for _, st := range stages {
		base := st.build(t)
		page := "/requests/" + strconv.FormatInt(base, 10)
		for who, c := range clients {
			var actions []string
			doc(t, w.get(t, c, page)).Find(`main form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
				if a := f.AttrOr("action", ""); strings.HasPrefix(a, page+"/") {
					actions = append(actions, strings.TrimPrefix(a, page+"/"))
				}
			})
			for _, action := range actions {
				where := fmt.Sprintf("%s as %s: %s", st.name, who, action)
				id := st.build(t) // a fresh request in the same stage
				p := "/requests/" + strconv.FormatInt(id, 10)
				form := doc(t, w.get(t, c, p)).Find(`main form[action="` + p + "/" + action + `"]`).First()
				values := filled(form, w.clock.Now())
				if len(values.Get("idempotency_key")) < 16 {
					t.Errorf("%s: the form carries no idempotency key", where)
					continue
				}
				before := w.auditCount(t)
				first := w.post(t, c, p+"/"+action, values)
				if first.StatusCode != http.StatusSeeOther {
					t.Errorf("%s: the first post = %d, want 303\n%s", where, first.StatusCode, errorsOf(doc(t, first)))
					continue
				}
				changed := w.auditCount(t)
				if changed == before {
					t.Errorf("%s: the post left no audit event", where)
				}
				again := w.post(t, c, p+"/"+action, values)
				if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != first.Header.Get("Location") ||
					again.Header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("%s: the second post = %d to %q (replayed %q), want the first's 303 to %q", where, again.StatusCode,
						again.Header.Get("Location"), again.Header.Get("Idempotent-Replayed"), first.Header.Get("Location"))
				}
				if n := w.auditCount(t); n != changed {
					t.Errorf("%s: the second post added %d audit events", where, n-changed)
				}
				other := url.Values{}
				for k, v := range values {
					other[k] = v
				}
				other.Set("version", "987654")
				reused := w.post(t, c, p+"/"+action, other)
				if reused.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, reused).Text(), "idempotency key was already used") {
					t.Errorf("%s: the key with other values = %d, want 422 saying the key was used", where, reused.StatusCode)
				}
				if n := w.auditCount(t); n != changed {
					t.Errorf("%s: the reused key added %d audit events", where, n-changed)
				}
				// The answer lost (the server stopped between the change and
				// its answer): the repost is sent to the request's page.
				if _, err := w.pool.Exec(ctx, `UPDATE idempotency_records SET status = NULL, body = NULL, location = '',
					created_at = created_at - interval '1 minute' WHERE key = $1`, values.Get("idempotency_key")); err != nil {
					t.Fatal(err)
				}
				lost := w.post(t, c, p+"/"+action, values)
				if loc := lost.Header.Get("Location"); lost.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/requests/") ||
					lost.Header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("%s: the repost after a lost answer = %d to %q, want a 303 to the request", where, lost.StatusCode, loc)
				}
				if n := w.auditCount(t); n != changed {
					t.Errorf("%s: the repost after a lost answer added %d audit events", where, n-changed)
				}
				posted[action] = true
			}
		}
	}
	// Every step of the rulebook with a form on the request page was
	// posted somewhere in the walk.
	for _, rule := range domain.Rules {
		if rule.Path == "" || rule.Path == "hrddp" || posted[rule.Path] {
			continue
		}
		t.Errorf("%s (/%s): no form of the request page was posted in the walk", rule.Action, rule.Path)
	}
}
