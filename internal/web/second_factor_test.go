package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

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
			if !f.signedInAs(t, c, email) {
				t.Fatal("not signed in after enrolling")
			}
			// Next time: the code.
			c = f.client(t)
			wantRedirect(t, f.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}}), "/login/2fa")
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
	r := f.post(t, c, "/profile/factor", url.Values{"code": {d.Code(t)}})
	wantStatus(t, r, http.StatusOK)
	if testid(doc(t, r), "recovery-code").Length() != domain.RecoveryCodeCount {
		t.Fatal("no recovery codes after enrolling")
	}
	wantRedirect(t, f.get(t, c, "/profile/factor"), "/profile")
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

	// The administrator: required, so no remove form; another's reset.
	admin := f.signIn(t, "admin@example.org")
	page = doc(t, f.get(t, admin, "/profile"))
	if testid(page, "factor-remove-form").Length() != 0 || testid(page, "factor-cannot-remove").Length() != 1 {
		t.Error("an administrator is offered to remove the factor they must have")
	}
	wantStatus(t, f.post(t, admin, "/profile/factor/remove", url.Values{"remove_code": {f.device("admin@example.org").Code(t)}}), http.StatusConflict)
	bea := f.mustUser(t, "bea@example.org", 0)
	f.enrol(t, bea)
	beaClient := f.signIn(t, "bea@example.org")
	id := "/admin/users/" + strconv.FormatInt(bea.ID, 10)
	if testid(doc(t, f.get(t, admin, id)), "user-factor-reset").Length() != 1 {
		t.Fatal("the user page offers no reset")
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
