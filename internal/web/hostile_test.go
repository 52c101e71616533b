package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// postedForm is a form of a page as a browser would post it: its action,
// the values it holds as rendered, and its fields.
type postedForm struct {
	key    string // data-testid, or the action with its numbers elided, to find it again
	action string
	values url.Values
	fields []formField
}

// formField is one named control of a form. text is a control a person
// types into (text, textarea, select, date…): a NUL there must be
// refused at the field.
type formField struct {
	name, id string
	text     bool
}

var digits = regexp.MustCompile(`[0-9]+`)

// postForms returns the POST forms of d, but the shell's sign-out.
func postForms(d *goquery.Document) []postedForm {
	var out []postedForm
	d.Find("form").Each(func(_ int, s *goquery.Selection) {
		if !strings.EqualFold(s.AttrOr("method", "get"), "post") {
			return
		}
		action := s.AttrOr("action", "")
		if action == "/logout" || action == "/language" { // the shell's, on every page
			return
		}
		pf := postedForm{key: s.AttrOr("data-testid", digits.ReplaceAllString(action, "N")), action: action, values: url.Values{}}
		seen := map[string]bool{}
		s.Find("input[name], textarea[name], select[name]").Each(func(_ int, c *goquery.Selection) {
			name := c.AttrOr("name", "")
			typ := strings.ToLower(c.AttrOr("type", "text"))
			switch goquery.NodeName(c) {
			case "textarea":
				pf.values.Add(name, c.Text())
				typ = "textarea"
			case "select":
				opt := c.Find("option[selected]").First()
				if opt.Length() == 0 {
					opt = c.Find("option").First()
				}
				pf.values.Add(name, opt.AttrOr("value", opt.Text()))
				typ = "select"
			default:
				switch typ {
				case "checkbox", "radio":
					if _, ok := c.Attr("checked"); ok {
						pf.values.Add(name, c.AttrOr("value", "on"))
					}
				case "submit", "button":
					return
				default:
					pf.values.Add(name, c.AttrOr("value", ""))
				}
			}
			if seen[name] {
				return
			}
			seen[name] = true
			pf.fields = append(pf.fields, formField{name: name, id: c.AttrOr("id", ""),
				text: typ != "hidden" && typ != "checkbox" && typ != "radio"})
		})
		out = append(out, pf)
	})
	return out
}

// formPage is a page with forms, as one caller sees it; build makes a
// fresh one (a post that is accepted may move the request on).
type formPage struct {
	name  string
	build func(t *testing.T) (*http.Client, string)
}

// TestHostileForms_NeverServerError walks the main forms of the HTML
// face — sign-in, the request form, every form of a request's page in
// each state where one is offered (comments, briefing, transitions with
// reasons, review, vote, decision, consent, tasking, reports, hand-over,
// HRDDP), the profile and the admin forms — with the fields read from
// the rendered page, not a list: each field posted with a NUL (the
// other fields as rendered) answers a 4xx or a redirect, never a 5xx;
// in a field a person types into, the NUL is refused (422) with the form
// shown again and the field named in its error summary.
func TestHostileForms_NeverServerError(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := t.Context()
	hcActor := w.mustHC(t)
	hc := w.signIn(t, "hc@example.org")
	admin := w.signIn(t, "admin@example.org")
	un, err := w.dir.CreateOrganization(ctx, w.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	unUser := w.mustUser(t, "un@example.org", un.ID)
	w.mustMember(t, "NPL-EQ", unUser, domain.RoleRequester)
	reviewerUser := w.mustUser(t, "hrddp@example.org", 0)
	w.mustMember(t, "NPL-EQ", reviewerUser, domain.RoleHRDDPReviewer)
	reviewer := w.signIn(t, "hrddp@example.org")
	probed := w.mustUser(t, "probed@example.org", 0)

	page := func(id int64) string { return "/requests/" + strconv.FormatInt(id, 10) }
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	officer := func(t *testing.T) domain.Actor { return w.mustActor(t, w.officerUser) }
	inReview := func(t *testing.T) domain.Request {
		r := w.submitted(t, "Probed in review")
		_, err := w.revs.Open(ctx, officer(t), r.ID, service.OpenInput{Version: r.Version})
		must(t, err)
		return r
	}
	approved := func(t *testing.T) int64 { return w.approved(t, "Probed approved", hcActor).ID }
	// The lifecycle's steps, through the officer's forms.
	post := func(t *testing.T, id int64, step string, form url.Values) {
		t.Helper()
		d, _ := w.reqs.Get(ctx, officer(t), id)
		form.Set("version", strconv.Itoa(d.Request.Version))
		if r := w.post(t, w.officer, page(id)+"/"+step, form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d %.300s", step, r.StatusCode, r.body)
		}
	}
	today := func() string { return w.clock.Now().Format(time.DateOnly) }
	consented := func(t *testing.T) int64 {
		id := approved(t)
		post(t, id, "consent", url.Values{"status": {"consented"}, "authority": {"NDRRMA"}, "date": {today()}})
		return id
	}
	transition := func(t *testing.T, id int64, a domain.Action) {
		d, _ := w.reqs.Get(ctx, officer(t), id)
		_, err := w.reqs.Transition(ctx, officer(t), id, a, domain.TransitionInput{Version: d.Request.Version})
		must(t, err)
	}
	executing := func(t *testing.T) int64 {
		id := consented(t)
		post(t, id, "tasking", url.Values{"provider_iso3": {"IND"}, "unit": {"152 HU"}, "asset_type": {"Mi-17"}, "asset_count": {"2"}})
		transition(t, id, domain.ActionStartExecution)
		return id
	}
	on := func(c *http.Client, path string) func(*testing.T) (*http.Client, string) {
		return func(*testing.T) (*http.Client, string) { return c, path }
	}
	links := 0
	pages := []formPage{
		{"sign-in", on(w.client(t), "/login")},
		{"new request", on(w.requester, "/operations/NPL-EQ/requests/new")},
		{"draft", func(t *testing.T) (*http.Client, string) {
			return w.requester, page(w.create(t, fx.Request("Probed draft", w.clock.Now())).ID)
		}},
		{"draft's form", func(t *testing.T) (*http.Client, string) {
			return w.requester, page(w.create(t, fx.Request("Probed draft", w.clock.Now())).ID) + "/edit"
		}},
		{"submitted, as the officer", func(t *testing.T) (*http.Client, string) {
			return w.officer, page(w.submitted(t, "Probed submitted").ID)
		}},
		{"in review, as the HCT member", func(t *testing.T) (*http.Client, string) { return w.hct, page(inReview(t).ID) }},
		{"in review, as the officer", func(t *testing.T) (*http.Client, string) { return w.officer, page(inReview(t).ID) }},
		{"review closed, as the HC", func(t *testing.T) (*http.Client, string) {
			r := inReview(t)
			_, err := w.revs.Vote(ctx, w.mustActor(t, w.hcU), r.ID, service.VoteInput{Value: domain.VoteSupport})
			must(t, err)
			_, err = w.revs.Close(ctx, officer(t), r.ID, r.Version)
			must(t, err)
			return hc, page(r.ID)
		}},
		{"approved, as the officer", func(t *testing.T) (*http.Client, string) { return w.officer, page(approved(t)) }},
		{"consented, as the officer", func(t *testing.T) (*http.Client, string) { return w.officer, page(consented(t)) }},
		{"in execution, as the officer", func(t *testing.T) (*http.Client, string) { return w.officer, page(executing(t)) }},
		{"completed, as the officer", func(t *testing.T) (*http.Client, string) {
			id := executing(t)
			transition(t, id, domain.ActionComplete)
			return w.officer, page(id)
		}},
		{"HRDDP assessment due, as the reviewer", func(t *testing.T) (*http.Client, string) {
			req := fx.Request("Probed fuel", w.clock.Now())
			req.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel for the helicopters"}
			unActor := w.mustActor(t, unUser)
			r, _, err := w.reqs.Create(ctx, unActor, w.op.Code, req, "")
			must(t, err)
			_, err = w.reqs.Transition(ctx, unActor, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1})
			must(t, err)
			return reviewer, page(r.ID) + "/hrddp"
		}},
		{"set-password link", func(t *testing.T) (*http.Client, string) {
			// A new user without a password each time: a link is used once.
			links++
			r := w.post(t, admin, "/admin/users/new", url.Values{"email": {fmt.Sprintf("link%d@example.org", links)},
				"name": {"Link Holder"}, "organization_id": {strconv.FormatInt(w.org.ID, 10)}, "language": {"en"}})
			wantStatus(t, r, http.StatusCreated)
			link := strings.TrimSpace(testid(doc(t, r), "password-link-secret").Text())
			return w.client(t), link[strings.Index(link, "/set-password/"):]
		}},
		{"profile", on(w.requester, "/profile")},
		{"new organisation", on(admin, "/admin/organizations/new")},
		{"organisation", on(admin, "/admin/organizations/"+strconv.FormatInt(w.org.ID, 10))},
		{"new user", on(admin, "/admin/users/new")},
		{"user", on(admin, "/admin/users/"+strconv.FormatInt(probed.ID, 10))},
		{"new operation", on(admin, "/admin/operations/new")},
		{"operation", on(admin, "/operations/NPL-EQ/edit")},
		{"members", on(admin, "/operations/NPL-EQ/members")},
		{"document purge", func(t *testing.T) (*http.Client, string) {
			r := w.submitted(t, "Probed purge")
			_, err := w.attach.Add(ctx, officer(t), r.ID, domain.AttachmentInput{Kind: domain.KindOther, Title: "Notes",
				Filename: "notes.txt", Visibility: domain.VisibleToAll}, strings.NewReader("Notes.\n"))
			must(t, err)
			return admin, "/admin/documents?reference=" + url.QueryEscape(r.Reference)
		}},
	}

	walked := map[string]bool{}
	for _, pg := range pages {
		c, path := pg.build(t)
		r := w.get(t, c, path)
		wantStatus(t, r, http.StatusOK)
		forms := postForms(doc(t, r))
		if len(forms) == 0 {
			t.Errorf("%s: no form at %s", pg.name, path)
		}
		for i := range forms {
			fm := forms[i]
			// rebuild starts again on a fresh page after a probe was
			// accepted (the request moved on): this form and the ones
			// after it are read from the new page.
			rebuild := func() {
				c, path = pg.build(t)
				forms = postForms(doc(t, w.get(t, c, path)))
				for _, f2 := range forms {
					if f2.key == fm.key {
						fm.action, fm.values = f2.action, f2.values
					}
				}
			}
			for _, fld := range fm.fields {
				walked[fm.key] = true
				vals := url.Values{}
				for k, v := range fm.values {
					vals[k] = append([]string(nil), v...)
				}
				vals.Set(fld.name, "a\x00b")
				resp := w.post(t, c, fm.action, vals)
				what := pg.name + ": " + fm.key + " " + fld.name
				switch {
				case resp.StatusCode >= 500 || resp.StatusCode < 300:
					t.Errorf("%s with a NUL: status %d, want a 4xx or a redirect: %.300s", what, resp.StatusCode, resp.body)
				case fld.text && resp.StatusCode != http.StatusUnprocessableEntity:
					t.Errorf("%s with a NUL: status %d, want 422 naming the field", what, resp.StatusCode)
				case fld.text:
					// The form again, with the field's message next to it.
					d := doc(t, resp)
					if fld.id != "" && strings.TrimSpace(testid(d, "error-"+fld.id).Text()) == "" {
						t.Errorf("%s with a NUL: no message next to #%s (summary %q)", what, fld.id,
							strings.TrimSpace(testid(d, "error-summary").Text()))
					}
				}
				if resp.StatusCode < 400 { // accepted: the next probe starts again
					rebuild()
				}
				if !fld.text {
					continue
				}
				// Long enough to pass a length check and reach the next
				// (a password's): white space alone, or around one
				// character. Accepted or refused, never a 5xx.
				for _, v := range []string{strings.Repeat(" ", 12), "x" + strings.Repeat(" ", 11)} {
					vals := url.Values{}
					for k, vs := range fm.values {
						vals[k] = append([]string(nil), vs...)
					}
					vals.Set(fld.name, v)
					if resp := w.post(t, c, fm.action, vals); resp.StatusCode >= 500 {
						t.Errorf("%s = %q: status %d, want no server error: %.300s", what, v, resp.StatusCode, resp.body)
					} else if resp.StatusCode < 400 {
						rebuild()
					}
				}
			}
		}
	}
	t.Logf("%d forms walked", len(walked))
}

// TestHostileQueries_NeverServerError: every GET route of the HTML face
// with a NUL (%00) in each path parameter, and every field of every
// search or filter form (method get) those pages render, sent with a NUL,
// control characters or a long text, answers a page that is not a 5xx.
func TestHostileQueries_NeverServerError(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	id := strconv.FormatInt(w.submitted(t, "Probed by queries").ID, 10)
	admin := w.signIn(t, "admin@example.org")
	fill := func(route, param, with string) string {
		parts := strings.Split(route, "/")
		for i, p := range parts {
			switch {
			case p == param:
				parts[i] = with
			case p == "{code}":
				parts[i] = "NPL-EQ"
			case strings.HasPrefix(p, "{"):
				parts[i] = id
			case strings.Contains(p, "{format}"):
				parts[i] = strings.Replace(p, "{format}", "csv", 1)
			}
		}
		return strings.Join(parts, "/")
	}
	var pages []string
	err := chi.Walk(w.routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodGet || strings.HasPrefix(route, "/static") {
			return nil
		}
		pages = append(pages, fill(route, "", ""))
		for _, p := range strings.Split(route, "/") {
			if strings.HasPrefix(p, "{") {
				path := fill(route, p, "a%00b")
				for name, c := range map[string]*http.Client{"officer": w.officer, "admin": admin} {
					if r := w.get(t, c, path); r.StatusCode >= 500 {
						t.Errorf("GET %s as %s: status %d", path, name, r.StatusCode)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	forms := 0
	for _, page := range pages {
		for name, c := range map[string]*http.Client{"officer": w.officer, "admin": admin} {
			r := w.get(t, c, page)
			if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				continue
			}
			doc(t, r).Find(`form`).Each(func(_ int, s *goquery.Selection) {
				if !strings.EqualFold(s.AttrOr("method", "get"), "get") {
					return
				}
				forms++
				action := s.AttrOr("action", page)
				s.Find("input[name], select[name], textarea[name]").Each(func(_ int, in *goquery.Selection) {
					for _, v := range []string{"a\x00b", "\x00", "\x01\x1b[2J\u202e", strings.Repeat("x", 5000)} {
						q := url.Values{in.AttrOr("name", ""): {v}}
						if r := w.get(t, c, action+"?"+q.Encode()); r.StatusCode >= 500 {
							t.Errorf("GET %s?%s=%q as %s: status %d", action, in.AttrOr("name", ""), v, name, r.StatusCode)
						}
					}
				})
			})
		}
	}
	if forms == 0 {
		t.Error("no search or filter form found on any page")
	}
	t.Logf("%d GET routes, %d search and filter forms", len(pages), forms)
}
