package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Helpers for the admin and account page tests.

// wantRedirect checks a POST-redirect-GET answer.
func wantRedirect(t *testing.T, r response, location string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != location {
		t.Fatalf("%s %s: redirect to %q, want %q", r.Request.Method, r.Request.URL.Path, got, location)
	}
}

// testid returns the elements of d with data-testid id.
func testid(d *goquery.Document, id string) *goquery.Selection {
	return d.Find(`[data-testid="` + id + `"]`)
}

// wantFieldError checks that field id shows a message containing want
// next to it, and that the summary lists it.
func wantFieldError(t *testing.T, d *goquery.Document, id, want string) {
	t.Helper()
	got := strings.TrimSpace(testid(d, "error-"+id).Text())
	if !strings.Contains(got, want) {
		t.Errorf("message next to %s = %q, want it to contain %q", id, got, want)
	}
	if !strings.Contains(testid(d, "error-summary").Text(), want) {
		t.Errorf("error summary lacks %q", want)
	}
}

// wantValue checks the value kept in input #id.
func wantValue(t *testing.T, d *goquery.Document, id, want string) {
	t.Helper()
	if got := d.Find("#"+id).AttrOr("value", ""); got != want {
		t.Errorf("#%s value = %q, want %q (typed values are kept)", id, got, want)
	}
}

// selected returns the value of the selected option of select #id.
func selected(d *goquery.Document, id string) string {
	return d.Find("#"+id+" option[selected]").AttrOr("value", "")
}

// wantFlashText checks the flash of a page.
func wantFlashText(t *testing.T, d *goquery.Document, want string) {
	t.Helper()
	if got := testid(d, "flash").Text(); !strings.Contains(got, want) {
		t.Errorf("flash = %q, want it to contain %q", strings.TrimSpace(got), want)
	}
}
