package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// operationForm is a valid operation form.
func operationForm(code string) url.Values {
	return url.Values{"code": {code}, "name": {"Nepal earthquake"}, "country_iso3": {"npl"}, "glide": {"EQ-2015-000048-NPL"},
		"context": {"natural_disaster"}, "quorum_percent": {"60"}, "pass_rule": {"majority"}, "review_hours": {"48"},
		"urgent_review_hours": {"6"}, "sealed_votes": {"true"}, "lead_time_hours": {"24"}}
}

func TestAdminOperations(t *testing.T) {
	t.Parallel()

	t.Run("Create", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		c := f.signIn(t, "admin@example.org")
		r := f.get(t, c, "/admin/operations/new")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if _, ok := d.Find("#sealed_votes").Attr("checked"); !ok {
			t.Error("sealed votes is not ticked by default for a new operation")
		}
		wantValue(t, d, "quorum_percent", "50")
		wantValue(t, d, "lead_time_hours", "48")
		if d.Find("fieldset legend").Length() == 0 {
			t.Error("the review policy is not a fieldset with a legend")
		}
		wantRedirect(t, f.post(t, c, "/admin/operations/new", operationForm("npl-eq-2015")), "/admin/operations")
		d = doc(t, f.get(t, c, "/admin/operations"))
		wantFlashText(t, d, "created")
		row := testid(d, "operation-NPL-EQ-2015")
		if row.Length() != 1 || !strings.Contains(row.Text(), "Natural disaster") {
			t.Fatalf("list row = %q", row.Text())
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="operation-state"]`).Text()); got != "Open" {
			t.Errorf("state = %q, want Open", got)
		}
		op, err := f.dir.GetOperation(t.Context(), f.admin, "NPL-EQ-2015")
		if err != nil {
			t.Fatal(err)
		}
		want := domain.ReviewPolicy{QuorumPercent: 60, PassRule: domain.PassMajority, ReviewHours: 48, UrgentReviewHours: 6, SealedVotes: true}
		if op.Policy != want || op.LeadTimeHours != 24 || op.CountryISO3 != "NPL" || op.GLIDE != "EQ-2015-000048-NPL" {
			t.Errorf("stored operation = %+v", op)
		}
	})

	t.Run("ErrDuplicateCode", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "NPL-EQ-2015", domain.ContextMixed)
		c := f.signIn(t, "admin@example.org")
		form := operationForm("NPL-EQ-2015")
		form.Set("name", "Second try")
		form.Del("sealed_votes")
		r := f.post(t, c, "/admin/operations/new", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		wantFieldError(t, d, "code", "already exists")
		wantValue(t, d, "code", "NPL-EQ-2015")
		wantValue(t, d, "name", "Second try")
		wantValue(t, d, "quorum_percent", "60")
		if got := selected(d, "pass_rule"); got != "majority" {
			t.Errorf("pass rule = %q, want majority kept", got)
		}
		if _, ok := d.Find("#sealed_votes").Attr("checked"); ok {
			t.Error("sealed votes was unticked but comes back ticked")
		}
	})

	t.Run("ErrNotANumber", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		c := f.signIn(t, "admin@example.org")
		form := operationForm("HTI-CE-2024")
		form.Set("lead_time_hours", "two days")
		form.Set("country_iso3", "Haiti")
		r := f.post(t, c, "/admin/operations/new", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		wantFieldError(t, d, "lead_time_hours", "whole number")
		wantFieldError(t, d, "country_iso3", "three-letter")
		wantValue(t, d, "lead_time_hours", "two days")
		if _, err := f.dir.GetOperation(t.Context(), f.admin, "HTI-CE-2024"); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("an operation was created from an invalid form (err %v)", err)
		}
	})

	t.Run("Edit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		f.mustOperation(t, "OPB", domain.ContextMixed)
		c := f.signIn(t, "admin@example.org")
		r := f.get(t, c, "/operations/OPA/edit")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		wantValue(t, d, "code", "OPA")
		if got := selected(d, "context"); got != "mixed" {
			t.Errorf("context = %q", got)
		}
		form := operationForm("OPB")
		r = f.post(t, c, "/operations/OPA/edit", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "code", "already exists")
		form.Set("code", "OPA-2")
		form.Set("closed", "true")
		wantRedirect(t, f.post(t, c, "/operations/OPA/edit", form), "/operations/OPA-2")
		op, err := f.dir.GetOperation(t.Context(), f.admin, "OPA-2")
		if err != nil || !op.Closed || op.Name != "Nepal earthquake" {
			t.Fatalf("after edit: %+v, %v", op, err)
		}
		d = doc(t, f.get(t, c, "/admin/operations"))
		if got := strings.TrimSpace(testid(d, "operation-OPA-2").Find(`[data-testid="operation-state"]`).Text()); got != "Closed" {
			t.Errorf("state = %q, want Closed", got)
		}
	})

	t.Run("ErrEditByOthers", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		f.mustOperation(t, "OPB", domain.ContextMixed)
		officer := f.mustUser(t, "olga@example.org", 0)
		f.mustMember(t, "OPA", officer, domain.RoleOfficer)
		c := f.signIn(t, "olga@example.org")
		wantStatus(t, f.get(t, c, "/operations/OPA/edit"), http.StatusForbidden)
		wantStatus(t, f.get(t, c, "/operations/OPB/edit"), http.StatusNotFound)
		wantStatus(t, f.post(t, c, "/operations/OPB/edit", operationForm("OPB")), http.StatusNotFound)
	})
}
