package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// signedInAs reports whether client c is signed in (its profile opens).
func (f *fixture) signedInAs(t *testing.T, c *http.Client, email string) bool {
	t.Helper()
	r := f.get(t, c, "/profile")
	return r.StatusCode == http.StatusOK && strings.EqualFold(testid(doc(t, r), "profile-email").Text(), email)
}

// TestSignInSecondStep: after the password, a user with a factor is not
// signed in until the code: every page answers as to an anonymous
// visitor; a wrong code is said next to the field; the right code (or a
// recovery code) completes the sign-in, to where they were going; a
// pending sign-in expires.
func TestSignInSecondStep(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	f.mustMember(t, "NPL-EQ", ana, domain.RoleRequester)
	d := f.enrol(t, ana)

	c := f.client(t)
	r := f.post(t, c, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}, "next": {"/operations/NPL-EQ"}})
	wantRedirect(t, r, "/login/2fa")
	for _, path := range []string{"/profile", "/operations/NPL-EQ", "/notifications"} {
		if got := f.get(t, c, path); got.StatusCode != http.StatusSeeOther || !strings.HasPrefix(got.Header.Get("Location"), "/login") {
			t.Errorf("GET %s after the password only: %d to %q, want sent to sign in", path, got.StatusCode, got.Header.Get("Location"))
		}
	}
	if got := f.get(t, c, "/api/v1/me"); got.StatusCode != http.StatusNotFound && got.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me after the password only: %d", got.StatusCode)
	}
	page := doc(t, f.get(t, c, "/login/2fa"))
	if testid(page, "factor-form").Length() != 1 || page.Find(`#code[autocomplete="one-time-code"]`).Length() != 1 {
		t.Fatal("the second step has no code field")
	}
	code := d.Code(t)
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	r = f.post(t, c, "/login/2fa", url.Values{"code": {string(wrong)}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(doc(t, r).Find("#code-error, .field-error").Text()+r.body, "wrong or has expired") {
		t.Errorf("a wrong code is not explained:\n%.600s", r.body)
	}
	if f.signedInAs(t, c, "ana@example.org") {
		t.Fatal("signed in after a wrong code")
	}
	wantRedirect(t, f.post(t, c, "/login/2fa", url.Values{"code": {code}}), "/operations/NPL-EQ")
	if !f.signedInAs(t, c, "ana@example.org") {
		t.Fatal("not signed in after the right code")
	}
	// The same code again, on another browser: a replay.
	c2 := f.client(t)
	wantRedirect(t, f.post(t, c2, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}}), "/login/2fa")
	r = f.post(t, c2, "/login/2fa", url.Values{"code": {code}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "already used") {
		t.Errorf("a replayed code is not explained:\n%.600s", r.body)
	}

	t.Run("Throttled", func(t *testing.T) {
		dan := f.mustUser(t, "dan@example.org", 0)
		dd := f.enrol(t, dan)
		c := f.client(t)
		wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {"dan@example.org"}, "password": {testPassword}}), "/login/2fa")
		right := dd.Code(t)
		bad := []byte(right)
		bad[0] = '0' + (bad[0]-'0'+5)%10
		for range domain.LimitSecondFactor.Max {
			wantStatus(t, f.post(t, c, "/login/2fa", url.Values{"code": {string(bad)}}), http.StatusUnprocessableEntity)
		}
		r := f.post(t, c, "/login/2fa", url.Values{"code": {right}})
		wantStatus(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" || testid(doc(t, r), "factor-form").Length() != 1 {
			t.Errorf("throttled second step: Retry-After %q, form again %v", r.Header.Get("Retry-After"), testid(doc(t, r), "factor-form").Length())
		}
		if f.signedInAs(t, c, "dan@example.org") {
			t.Fatal("signed in past the limit")
		}
	})

	t.Run("RecoveryCode", func(t *testing.T) {
		bea := f.mustUser(t, "bea@example.org", 0)
		_, codes := totptest.Enrol(t, f.access, bea.ID, f.authClock)
		c := f.client(t)
		wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {"bea@example.org"}, "password": {testPassword}}), "/login/2fa")
		wantRedirect(t, f.post(t, c, "/login/2fa", url.Values{"code": {strings.ToLower(codes[0])}}), "/")
		if !f.signedInAs(t, c, "bea@example.org") {
			t.Fatal("not signed in with a recovery code")
		}
		if got := testid(doc(t, f.get(t, c, "/profile")), "factor-recovery-left").Text(); !strings.Contains(got, "9 unused") {
			t.Errorf("profile says %q, want 9 recovery codes left", got)
		}
		c = f.client(t)
		wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {"bea@example.org"}, "password": {testPassword}}), "/login/2fa")
		wantStatus(t, f.post(t, c, "/login/2fa", url.Values{"code": {codes[0]}}), http.StatusUnprocessableEntity)
	})

	t.Run("Expires", func(t *testing.T) {
		c := f.client(t)
		wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}}), "/login/2fa")
		f.clock.Advance(domain.SecondStepLifetime + time.Second)
		wantRedirect(t, f.post(t, c, "/login/2fa", url.Values{"code": {d.Code(t)}}), "/login")
		if f.signedInAs(t, c, "ana@example.org") {
			t.Fatal("signed in through an expired second step")
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		c := f.client(t)
		wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}}), "/login/2fa")
		wantRedirect(t, f.post(t, c, "/login/cancel", nil), "/login")
		wantRedirect(t, f.get(t, c, "/login/2fa"), "/login")
	})
}

// TestSignInMustEnrol: an officer of an operation that requires a second
// factor, and an administrator, without one, are after the password
// signed in to nothing but the enrolment page (QR code as an image of
// this origin, the key as text, the otpauth URI); a code of the key
// signs them in and shows the ten recovery codes once.
func TestSignInMustEnrol(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	op, err := f.dir.CreateOperation(t.Context(), f.admin, domain.Operation{Code: "SSD-CE", Name: "South Sudan", CountryISO3: "SSD",
		Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48, RequireSecondFactor: true})
	if err != nil {
		t.Fatal(err)
	}
	olga := f.mustUser(t, "olga@example.org", 0)
	f.mustMember(t, op.Code, olga, domain.RoleOfficer)
	root2, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{User: domain.User{Email: "root2@example.org",
		Name: "Root Two", OrganizationID: f.org.ID, Language: "en", IsAdmin: true}, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{olga.Email, root2.Email} {
		t.Run(email, func(t *testing.T) {
			c := f.client(t)
			wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}}), "/login/enrol")
			wantRedirect(t, f.get(t, c, "/login/2fa"), "/login/enrol")
			for _, path := range []string{"/profile", "/operations/SSD-CE", "/admin"} {
				if got := f.get(t, c, path); got.StatusCode != http.StatusSeeOther || !strings.HasPrefix(got.Header.Get("Location"), "/login") {
					t.Errorf("GET %s before enrolling: %d to %q, want sent to sign in", path, got.StatusCode, got.Header.Get("Location"))
				}
			}
			// No token either: the API sees nobody.
			if r := f.post(t, c, "/profile/tokens", url.Values{"token_name": {"x"}}); r.StatusCode != http.StatusSeeOther ||
				!strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("token before enrolling: %d", r.StatusCode)
			}
			r := f.get(t, c, "/login/enrol")
			wantStatus(t, r, http.StatusOK)
			page := doc(t, r)
			if testid(page, "signin-link").Length() != 0 || testid(page, "signout-form").Length() != 0 {
				t.Error("the pending sign-in's enrolment page offers to sign in (or out) in its header")
			}
			if page.Find("#current_password").Length() != 0 {
				t.Error("the sign-in's enrolment asks the password typed a moment ago")
			}
			if page.Find("script").Length() != 0 {
				t.Error("the enrolment page has a script")
			}
			src := testid(page, "factor-qr").AttrOr("src", "")
			if src != "/login/enrol/qr.png" {
				t.Fatalf("QR image at %q, want this origin's /login/enrol/qr.png", src)
			}
			img := f.get(t, c, src)
			if img.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.body, "\x89PNG") ||
				!strings.Contains(img.Header.Get("Cache-Control"), "no-store") {
				t.Fatalf("QR image: %s, %q", img.Header.Get("Content-Type"), img.Header.Get("Cache-Control"))
			}
			secret := testid(page, "factor-secret").Text()
			if len(strings.Fields(secret)) != 8 || !strings.Contains(testid(page, "factor-uri").Text(), "secret="+strings.ReplaceAll(secret, " ", "")) {
				t.Fatalf("key %q, URI %q", secret, testid(page, "factor-uri").Text())
			}
			wantStatus(t, f.post(t, c, "/login/enrol", url.Values{"code": {"000000x"}}), http.StatusUnprocessableEntity)
			d := totptest.NewDevice(secret, f.authClock)
			r = f.post(t, c, "/login/enrol", url.Values{"code": {d.Code(t)}})
			wantStatus(t, r, http.StatusOK)
			page = doc(t, r)
			if n := testid(page, "recovery-code").Length(); n != domain.RecoveryCodeCount {
				t.Fatalf("%d recovery codes shown, want %d", n, domain.RecoveryCodeCount)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("recovery codes page Cache-Control %q", r.Header.Get("Cache-Control"))
			}
			// The codes page is the session's first: signed in in its
			// header, the welcome said here and not again on the next page.
			if testid(page, "signout-form").Length() != 1 || testid(page, "signin-link").Length() != 0 {
				t.Error("the recovery codes page's header does not show the user signed in")
			}
			if got := testid(page, "flash").Text(); !strings.Contains(got, "You are signed in") {
				t.Errorf("codes page flash %q, want the welcome", got)
			}
			if !strings.Contains(testid(page, "recovery-codes").Text(), "Copy them now: they will not be shown again") {
				t.Error("the codes page speaks of one code")
			}
			next := doc(t, f.get(t, c, "/profile"))
			if testid(next, "flash").Length() != 0 {
				t.Errorf("a stale flash after the codes page: %q", testid(next, "flash").Text())
			}
			if !f.signedInAs(t, c, email) {
				t.Fatal("not signed in after enrolling")
			}
			// Next time: the code.
			c = f.client(t)
			wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}}), "/login/2fa")
			if p := doc(t, f.get(t, c, "/login/2fa")); testid(p, "signin-link").Length() != 0 || testid(p, "signout-form").Length() != 0 {
				t.Error("the pending sign-in's code page offers to sign in (or out) in its header")
			}
			wantRedirect(t, f.post(t, c, "/login/2fa", url.Values{"code": {d.Code(t)}}), "/")
		})
	}
}

// TestProfileSecondFactor: a user nobody requires one of enrols from the
// profile, replaces the recovery codes and removes the factor, each with
// a current code; an administrator resets another user's factor, which
// ends their sessions; a required factor cannot be removed.
func TestProfileSecondFactor(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	c := f.signIn(t, "ana@example.org")
	page := doc(t, f.get(t, c, "/profile"))
	if testid(page, "factor-enrol").AttrOr("href", "") != "/profile/factor" {
		t.Fatal("the profile offers no enrolment")
	}
	page = doc(t, f.get(t, c, "/profile/factor"))
	if testid(page, "factor-qr").AttrOr("src", "") != "/profile/factor/qr.png" || testid(page, "factor-required").Length() != 0 {
		t.Fatal("the profile's enrolment page is not the optional one with its QR code")
	}
	d := totptest.NewDevice(testid(page, "factor-secret").Text(), f.authClock)
	r := f.post(t, c, "/profile/factor", url.Values{"code": {d.Code(t)}, "current_password": {testPassword}})
	wantStatus(t, r, http.StatusOK)
	if testid(doc(t, r), "recovery-code").Length() != domain.RecoveryCodeCount {
		t.Fatal("no recovery codes after enrolling")
	}
	if p := doc(t, r); testid(p, "signout-form").Length() != 1 || testid(p, "flash").Length() != 0 {
		t.Error("the profile's codes page: not shown signed in, or a stale flash")
	}
	wantRedirect(t, f.get(t, c, "/profile/factor"), "/profile")
	page = doc(t, f.get(t, c, "/profile"))
	if testid(page, "flash").Length() != 0 || !strings.HasPrefix(testid(page, "factor-status").Text(), "Second factor set up on ") {
		t.Errorf("profile after enrolling: flash %q, status %q", testid(page, "flash").Text(), testid(page, "factor-status").Text())
	}
	// New recovery codes: a wrong code is said next to its own field.
	r = f.post(t, c, "/profile/factor/recovery-codes", url.Values{"regenerate_code": {"12345"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if doc(t, r).Find("#regenerate_code[aria-invalid]").Length() != 1 {
		t.Errorf("the wrong code is not marked on its field:\n%.500s", r.body)
	}
	r = f.post(t, c, "/profile/factor/recovery-codes", url.Values{"regenerate_code": {d.Code(t)}})
	wantStatus(t, r, http.StatusOK)
	if testid(doc(t, r), "recovery-code").Length() != domain.RecoveryCodeCount {
		t.Fatal("no new recovery codes")
	}
	wantRedirect(t, f.post(t, c, "/profile/factor/remove", url.Values{"remove_code": {d.Code(t)}}), "/profile")
	if got := testid(doc(t, f.get(t, c, "/profile")), "factor-enrol").Length(); got != 1 {
		t.Fatal("the factor is still there after removing it")
	}

	// The administrator: required, so the form replaces it (a lost
	// phone) rather than removes it; another's reset.
	admin := f.signIn(t, "admin@example.org")
	page = doc(t, f.get(t, admin, "/profile"))
	if testid(page, "factor-replace-form").Length() != 1 || testid(page, "factor-remove-form").Length() != 0 ||
		testid(page, "factor-cannot-remove").Length() != 1 {
		t.Error("an administrator's required factor is not offered for replacement only")
	}
	wantStatus(t, f.post(t, admin, "/profile/factor/remove", url.Values{"remove_code": {f.device("admin@example.org").Code(t)}}), http.StatusConflict)
	bea := f.mustUser(t, "bea@example.org", 0)
	f.enrol(t, bea)
	beaClient := f.signIn(t, "bea@example.org")
	id := "/admin/users/" + strconv.FormatInt(bea.ID, 10)
	if testid(doc(t, f.get(t, admin, id)), "user-factor-reset").Length() != 1 {
		t.Fatal("the user page offers no reset")
	}
	// Only the true sentences: a required factor that is set up is not
	// "set up at their next sign-in".
	own := doc(t, f.get(t, admin, "/admin/users/"+strconv.FormatInt(f.admin.UserID, 10)))
	if testid(own, "user-factor-status").Text() != "A second factor is set up." || testid(own, "user-factor-required").Length() != 0 {
		t.Errorf("enrolled and required: %q, required note %d", testid(own, "user-factor-status").Text(), testid(own, "user-factor-required").Length())
	}
	wantStatus(t, f.post(t, beaClient, id+"/factor-reset", nil), http.StatusForbidden)
	wantRedirect(t, f.post(t, admin, id+"/factor-reset", nil), id)
	if f.signedInAs(t, beaClient, "bea@example.org") {
		t.Error("the reset did not end the user's sessions")
	}
	if testid(doc(t, f.get(t, admin, id)), "user-factor-status").Text() != "No second factor is set up." {
		t.Error("the user page still shows a factor")
	}
}

// TestPolicyEndsSessions: turning an operation's policy on ends the
// sessions of its officers who have no factor (the rule holds for the
// whole session, not only at sign-in); they enrol at their next sign-in.
func TestPolicyEndsSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	op := f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	omar := f.mustUser(t, "omar@example.org", 0)
	f.mustMember(t, op.Code, omar, domain.RoleOfficer)
	c := f.signIn(t, "omar@example.org")
	if !f.signedInAs(t, c, "omar@example.org") {
		t.Fatal("not signed in")
	}
	op.RequireSecondFactor = true
	if _, err := f.dir.UpdateOperation(t.Context(), f.admin, op.Code, op); err != nil {
		t.Fatal(err)
	}
	if f.signedInAs(t, c, "omar@example.org") {
		t.Fatal("still signed in without the factor the operation now requires")
	}
	wantRedirect(t, f.post(t, f.client(t), "/login", url.Values{"email": {"omar@example.org"}, "password": {testPassword}}), "/login/enrol")
}

// TestProfileAuthenticatorsNeedProof: with a signed-in session alone (what
// a stolen cookie gives), every route of the profile that changes the
// user's own authenticators is refused — 422 with the message next to
// the field of the missing (or wrong) proof — and changes nothing; with
// the proof (the current password; a current code for an existing
// factor) enrolment goes through. A user with no password (single
// sign-on only) proves it by a recent sign-in instead.
func TestProfileAuthenticatorsNeedProof(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	ctx := t.Context()
	ana := f.mustUser(t, "ana@example.org", 0)
	c := f.signIn(t, ana.Email)
	page := doc(t, f.get(t, c, "/profile/factor"))
	if page.Find("#current_password").Length() != 1 {
		t.Fatal("the profile's enrolment form asks no password")
	}
	d := totptest.NewDevice(testid(page, "factor-secret").Text(), f.authClock)
	enrolled := func() bool {
		sf, err := f.access.SecondFactor(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sf.Enrolled
	}
	tokens := func() int {
		a, err := f.access.Actor(ctx, ana.ID, ana.SessionEpoch)
		if err != nil {
			t.Fatal(err)
		}
		list, err := f.access.ListTokens(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	passwordKept := func() bool {
		_, err := f.access.SignIn(ctx, ana.Email, testPassword, "10.0.0.1", "")
		return err == nil
	}
	var recovery []string
	type route struct {
		path, field string
		form        url.Values // all but the proof
		needs       bool       // the route needs a confirmed factor
		unchanged   func() bool
	}
	routes := []route{
		{"/profile/factor", "current_password", url.Values{"code": {""}}, false, func() bool { return !enrolled() }},
		{"/profile/tokens", "token_password", url.Values{"token_name": {"stolen"}, "token_scope": {"full"}, "token_expires": {"90"}}, false,
			func() bool { return tokens() == 0 }},
		{"/profile/password", "current_password", url.Values{"new_password": {"a brand new passphrase 42"}, "password_confirm": {"a brand new passphrase 42"}}, false,
			passwordKept},
		{"/profile/factor/recovery-codes", "regenerate_code", url.Values{}, true, func() bool {
			// The old codes still work: none were replaced.
			code := recovery[0]
			recovery = recovery[1:]
			return f.access.VerifySecondFactor(ctx, ana.ID, code, "10.0.0.1") == nil
		}},
		{"/profile/factor/remove", "remove_code", url.Values{}, true, enrolled},
	}
	for _, enrolledYet := range []bool{false, true} {
		if enrolledYet { // the happy path: the code and the password
			r := f.post(t, c, "/profile/factor", url.Values{"code": {d.Code(t)}, "current_password": {testPassword}})
			wantStatus(t, r, http.StatusOK)
			codes := doc(t, r).Find(`[data-testid="recovery-code"]`)
			if codes.Length() != domain.RecoveryCodeCount {
				t.Fatalf("%d recovery codes after enrolling with the password", codes.Length())
			}
			recovery = codes.Map(func(_ int, s *goquery.Selection) string { return s.Text() })
		}
		for _, rt := range routes {
			if rt.needs != enrolledYet {
				continue
			}
			for _, proof := range []string{"", "wrong"} {
				t.Run(rt.path+"/"+map[string]string{"": "missing", "wrong": "wrong"}[proof], func(t *testing.T) {
					form := url.Values{}
					for k, v := range rt.form {
						form[k] = v
					}
					if rt.path == "/profile/factor" {
						form.Set("code", d.Code(t)) // the right code: only the password is missing
					}
					if proof == "wrong" {
						form.Set(rt.field, "not the password 123")
						if strings.HasSuffix(rt.field, "_code") {
							form.Set(rt.field, "000000")
						}
					}
					r := f.post(t, c, rt.path, form)
					wantStatus(t, r, http.StatusUnprocessableEntity)
					page := doc(t, r)
					if page.Find("#"+rt.field+"[aria-invalid]").Length() != 1 || strings.TrimSpace(page.Find("#"+rt.field+"-error").Text()) == "" {
						t.Errorf("POST %s without its proof: no message next to %s:\n%.600s", rt.path, rt.field, r.body)
					}
					if !rt.unchanged() {
						t.Fatalf("POST %s without its proof changed something", rt.path)
					}
				})
			}
		}
	}

	// No password (single sign-on only): a session opened within
	// domain.RecentSignIn enrols with the code alone; an older one is
	// told to sign in again, and nothing is enrolled.
	for _, tt := range []struct {
		email string
		age   time.Duration
		want  int
	}{
		{"fresh@example.org", 0, http.StatusOK},
		{"stale@example.org", domain.RecentSignIn + time.Minute, http.StatusUnprocessableEntity},
	} {
		t.Run("sso/"+tt.email, func(t *testing.T) {
			u := f.mustUser(t, tt.email, 0)
			c := f.signIn(t, u.Email)
			if _, err := f.pool.Exec(ctx, `UPDATE users SET password_hash = NULL WHERE id = $1`, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.pool.Exec(ctx, `UPDATE user_sessions SET created_at = created_at - $2::interval WHERE user_id = $1`,
				u.ID, tt.age.String()); err != nil {
				t.Fatal(err)
			}
			page := doc(t, f.get(t, c, "/profile/factor"))
			if page.Find("#current_password").Length() != 0 {
				t.Fatal("a user with no password is asked for one")
			}
			d := totptest.NewDevice(testid(page, "factor-secret").Text(), f.authClock)
			r := f.post(t, c, "/profile/factor", url.Values{"code": {d.Code(t)}})
			wantStatus(t, r, tt.want)
			sf, err := f.access.SecondFactor(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sf.Enrolled != (tt.want == http.StatusOK) {
				t.Fatalf("enrolled = %v after %d", sf.Enrolled, r.StatusCode)
			}
			if tt.want != http.StatusOK && !strings.Contains(doc(t, r).Find("#code-error").Text(), "sign in again") {
				t.Errorf("a stale session is not told to sign in again:\n%.600s", r.body)
			}
		})
	}
}

// TestLostPhoneReplacesRequiredFactor: an administrator (who must have a
// second factor) who lost their phone replaces it from the profile with
// a recovery code. The new key is shown to this browser only — another
// browser signing in with the password alone still meets the old factor
// and sees no key — and the old factor works until the new one is
// confirmed; then the old one and the old recovery codes stop working,
// the other sessions end and this one stays signed in.
func TestLostPhoneReplacesRequiredFactor(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	c := f.signIn(t, "admin@example.org")
	other := f.signIn(t, "admin@example.org")
	old := f.device("admin@example.org")
	r := f.post(t, c, "/profile/factor/recovery-codes", url.Values{"regenerate_code": {old.Code(t)}})
	wantStatus(t, r, http.StatusOK)
	var codes []string
	testid(doc(t, r), "recovery-code").Each(func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	if len(codes) != domain.RecoveryCodeCount {
		t.Fatalf("%d recovery codes", len(codes))
	}
	wantStatus(t, f.post(t, c, "/profile/factor/remove", url.Values{"remove_code": {codes[0]}}), http.StatusConflict)
	wantRedirect(t, f.post(t, c, "/profile/factor/replace", url.Values{"replace_code": {codes[0]}}), "/profile/factor/replace")
	page := doc(t, f.get(t, c, "/profile/factor/replace"))
	key := testid(page, "factor-secret").Text()
	if key == "" || testid(page, "factor-replacing").Length() != 1 {
		t.Fatalf("the replacement page shows no key or no notice: %q", key)
	}
	// Someone holding only the password: the old factor is asked, no key shown.
	intruder := f.client(t)
	wantRedirect(t, f.post(t, intruder, "/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}}), "/login/2fa")
	wantRedirect(t, f.get(t, intruder, "/login/enrol"), "/login/2fa")
	if r := f.get(t, intruder, "/profile/factor/replace"); r.StatusCode != http.StatusSeeOther || strings.Contains(r.body, key) {
		t.Errorf("another browser reaches the replacement: %d", r.StatusCode)
	}
	wantStatus(t, f.get(t, other, "/profile"), http.StatusOK) // nothing ended yet
	// A code of the old app does not confirm the new key.
	wantStatus(t, f.post(t, c, "/profile/factor/replace/confirm", url.Values{"code": {old.Code(t)}}), http.StatusUnprocessableEntity)
	fresh := totptest.NewDevice(strings.ReplaceAll(key, " ", ""), f.authClock)
	r = f.post(t, c, "/profile/factor/replace/confirm", url.Values{"code": {fresh.Code(t)}})
	wantStatus(t, r, http.StatusOK)
	if testid(doc(t, r), "recovery-code").Length() != domain.RecoveryCodeCount {
		t.Fatal("no new recovery codes after the replacement")
	}
	wantStatus(t, f.get(t, c, "/profile"), http.StatusOK) // this session stays
	if r := f.get(t, other, "/profile"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("another session after the replacement: %d, want signed out", r.StatusCode)
	}
	// The old codes no longer work at sign-in; the new app does.
	f.authClock.Advance(domain.TOTPPeriod)
	later := f.client(t)
	wantRedirect(t, f.post(t, later, "/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}}), "/login/2fa")
	wantStatus(t, f.post(t, later, "/login/2fa", url.Values{"code": {codes[1]}}), http.StatusUnprocessableEntity)
	wantStatus(t, f.post(t, later, "/login/2fa", url.Values{"code": {old.Code(t)}}), http.StatusUnprocessableEntity)
	r = f.post(t, later, "/login/2fa", url.Values{"code": {fresh.Code(t)}})
	if r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("sign-in with the new app: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestReplacementNotInherited: a replacement begun in a browser is its
// user's: someone else signing in there afterwards does not find the new
// key, nor confirm it as theirs.
func TestReplacementNotInherited(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.enrol(t, ana)
	c := f.signIn(t, "admin@example.org")
	wantRedirect(t, f.post(t, c, "/profile/factor/replace", url.Values{"replace_code": {f.device("admin@example.org").Code(t)}}), "/profile/factor/replace")
	key := testid(doc(t, f.get(t, c, "/profile/factor/replace")), "factor-secret").Text()
	if key == "" {
		t.Fatal("no key shown to the administrator")
	}
	// Ana signs in on the same browser, without signing the admin out.
	r := f.post(t, c, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}})
	f.secondStep(t, c, "ana@example.org", r)
	wantRedirect(t, f.get(t, c, "/profile/factor/replace"), "/profile")
	if r := f.get(t, c, "/profile/factor/replace/qr.png"); r.StatusCode != http.StatusNotFound {
		t.Errorf("the QR code of another's replacement: %d, want 404", r.StatusCode)
	}
	d := totptest.NewDevice(strings.ReplaceAll(key, " ", ""), f.authClock)
	wantRedirect(t, f.post(t, c, "/profile/factor/replace/confirm", url.Values{"code": {d.Code(t)}}), "/profile")
	f.authClock.Advance(domain.TOTPPeriod)
	fresh := f.client(t)
	wantRedirect(t, f.post(t, fresh, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}}), "/login/2fa")
	wantStatus(t, f.post(t, fresh, "/login/2fa", url.Values{"code": {d.Code(t)}}), http.StatusUnprocessableEntity)
}
