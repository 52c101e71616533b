package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestAdminDocumentPurge: the administrators' purge page lists a
// request's documents by kind, visibility, size, date and state — never
// a title, a file name or a hash, not even of a restricted document —
// and purges one with a reason, once confirmed: the content is gone for
// its readers and the purge is in the request's trail. A refused form
// is the page again with the problem at its field; anyone but an
// administrator is refused the page and the purge.
func TestAdminDocumentPurge(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := t.Context()
	r := w.submitted(t, "Airlift to Jumla")
	officer := w.mustActor(t, w.officerUser)
	const canaryTitle, canaryFile = "CANARY-restricted-title", "canary-restricted-file.txt"
	restricted, err := w.attach.Add(ctx, officer, r.ID, domain.AttachmentInput{Kind: domain.KindSecurityAssessment,
		Title: canaryTitle, Filename: canaryFile, Visibility: domain.VisibleToOfficerHC}, strings.NewReader("Threats on the road to Jumla.\n"))
	if err != nil {
		t.Fatal(err)
	}
	open, err := w.attach.Add(ctx, officer, r.ID, domain.AttachmentInput{Kind: domain.KindMap, Title: "CANARY-open-title",
		Filename: "canary-open-file.txt", Visibility: domain.VisibleToAll}, strings.NewReader("Road cut at km 12.\n"))
	if err != nil {
		t.Fatal(err)
	}
	rid, sid := strconv.FormatInt(restricted.ID, 10), strconv.FormatInt(r.ID, 10)
	purgeURL := "/admin/documents/" + rid + "/purge"
	listURL := "/admin/documents?reference=" + url.QueryEscape(r.Reference)
	download := "/requests/" + sid + "/attachments/" + rid
	wantStatus(t, w.get(t, w.officer, download), http.StatusOK)

	t.Run("ErrNotAdministrator", func(t *testing.T) {
		for _, resp := range []response{w.get(t, w.officer, "/admin/documents"), w.get(t, w.officer, listURL),
			w.post(t, w.officer, purgeURL, url.Values{"reason": {"Personal data"}, "confirm": {"true"}})} {
			wantStatus(t, resp, http.StatusForbidden)
		}
		if t2, err := w.attach.Open(ctx, officer, r.ID, restricted.ID); err != nil || t2.Purged() {
			t.Fatalf("an officer's purge went through: %v", err)
		}
	})

	admin := w.signIn(t, "admin@example.org")
	if d := doc(t, w.get(t, admin, "/admin")); testid(d, "admin-link-documents").Find(`a[href="/admin/documents"]`).Length() != 1 {
		t.Error("the administration's home does not link to the purge page")
	}
	resp := w.get(t, admin, "/admin/documents")
	wantStatus(t, resp, http.StatusOK)
	if d := doc(t, resp); testid(d, "admin-documents-search").Find(`input[name="reference"]`).Length() != 1 ||
		testid(d, "admin-documents-none").Length() != 0 {
		t.Errorf("the page without a reference: no search field, or says none found:\n%.2000s", resp.body)
	}
	for _, ref := range []string{"NPL-RFA-9999", "not a reference", "a\x00b"} {
		resp := w.get(t, admin, "/admin/documents?reference="+url.QueryEscape(ref))
		wantStatus(t, resp, http.StatusOK)
		if testid(doc(t, resp), "admin-documents-none").Length() != 1 {
			t.Errorf("reference %q: the page does not say none was found", ref)
		}
	}

	resp = w.get(t, admin, listURL)
	wantStatus(t, resp, http.StatusOK)
	for _, secret := range []string{canaryTitle, canaryFile, restricted.HashHex(), "CANARY-open-title", "canary-open-file", open.HashHex()} {
		if strings.Contains(resp.body, secret) {
			t.Errorf("the purge page shows %q", secret)
		}
	}
	d := doc(t, resp)
	if testid(d, "admin-documents-restricted").Length() != 1 {
		t.Error("the page does not say why titles are not shown")
	}
	row := testid(d, "document-"+rid)
	if row.Length() != 1 || testid(d, "document-"+strconv.FormatInt(open.ID, 10)).Length() != 1 {
		t.Fatalf("the request's documents are not listed:\n%.3000s", resp.body)
	}
	for _, want := range []string{"Security risk assessment", "Officer and HC only", "In use"} {
		if !strings.Contains(row.Text(), want) {
			t.Errorf("the restricted document's row %q lacks %q", strings.Join(strings.Fields(row.Text()), " "), want)
		}
	}
	if row.Find(`form[method="post"][action="`+purgeURL+`"] textarea[name="reason"]`).Length() != 1 ||
		row.Find(`input[type="checkbox"][name="confirm"]`).Length() != 1 || row.Find(`input[name="idempotency_key"]`).Length() != 1 {
		t.Fatal("no purge form with a reason, a confirmation and a form key")
	}

	t.Run("ErrEmptyReason", func(t *testing.T) {
		resp := w.post(t, admin, purgeURL, url.Values{"reason": {"  "}, "confirm": {"true"}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		d := doc(t, resp)
		if testid(d, "error-reason-document-"+rid).Length() != 1 || testid(d, "error-summary").Find(`a[href="#reason-document-`+rid+`"]`).Length() != 1 {
			t.Errorf("no message at the reason, or not linked from the summary:\n%.3000s", resp.body)
		}
		if testid(d, "document-"+rid).Find("details[open]").Length() != 1 {
			t.Error("the refused form is not open")
		}
	})
	t.Run("ErrNotConfirmed", func(t *testing.T) {
		resp := w.post(t, admin, purgeURL, url.Values{"reason": {"Personal data of a third party"}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		d := doc(t, resp)
		if testid(d, "error-confirm-document-"+rid).Length() != 1 {
			t.Errorf("no message at the confirmation:\n%.3000s", resp.body)
		}
		if got := testid(d, "document-"+rid).Find("textarea").Text(); got != "Personal data of a third party" {
			t.Errorf("reason shown again = %q, want what was typed", got)
		}
	})
	wantStatus(t, w.get(t, w.officer, download), http.StatusOK) // refused: nothing purged

	t.Run("OK", func(t *testing.T) {
		const reason = "Personal data of a third party"
		wantRedirect(t, w.post(t, admin, purgeURL, url.Values{"reason": {reason}, "confirm": {"true"}}),
			"/admin/documents?reference="+url.QueryEscape(r.Reference)+"#document-"+rid)
		d := doc(t, w.get(t, admin, listURL))
		wantFlashText(t, d, "content was deleted")
		row := testid(d, "document-"+rid)
		if row.AttrOr("data-state", "") != "purged" || !strings.Contains(row.Text(), reason) || row.Find("form").Length() != 0 {
			t.Errorf("the purged document's row: %q, want purged with its reason and no form", strings.Join(strings.Fields(row.Text()), " "))
		}
		// The content is gone for its readers; the record stays.
		wantStatus(t, w.get(t, w.officer, download), http.StatusNotFound)
		events, err := w.reqs.Events(ctx, officer, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range events {
			if e.Action != domain.EventAttachmentPurged {
				continue
			}
			var p struct {
				ID     int64  `json:"attachment_id"`
				Reason string `json:"reason"`
				SHA256 string `json:"sha256"`
			}
			if json.Unmarshal(e.Payload, &p) == nil && p.ID == restricted.ID && p.Reason == reason && p.SHA256 == restricted.HashHex() {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s event with the document, its reason and hash in the trail", domain.EventAttachmentPurged)
		}
		// Not twice.
		wantStatus(t, w.post(t, admin, purgeURL, url.Values{"reason": {reason}, "confirm": {"true"}}), http.StatusConflict)
	})
	t.Run("OneReferenceTwoOperations", func(t *testing.T) {
		// Two operations in one country number alike: both requests are
		// listed, each under its operation; typed in lower case too.
		w.mustOperation(t, "NPL-FL", domain.ContextNaturalDisaster)
		w.mustMember(t, "NPL-FL", w.requesterUser, domain.RoleRequester)
		twin, _, err := w.reqs.Create(ctx, w.mustActor(t, w.requesterUser), "NPL-FL", fx.Request("Floods", w.clock.Now()), "")
		if err != nil {
			t.Fatal(err)
		}
		if twin.Reference != r.Reference {
			t.Fatalf("the second operation's first request is %s, not %s: the test no longer has two requests numbered alike", twin.Reference, r.Reference)
		}
		d := doc(t, w.get(t, admin, "/admin/documents?reference="+url.QueryEscape(" "+strings.ToLower(r.Reference)+" ")))
		for _, id := range []int64{r.ID, twin.ID} {
			if testid(d, "admin-documents-request-"+strconv.FormatInt(id, 10)).Length() != 1 {
				t.Errorf("request %d numbered %s is not listed", id, r.Reference)
			}
		}
		if !strings.Contains(testid(d, "admin-documents-request-"+strconv.FormatInt(twin.ID, 10)).Text(), "NPL-FL") {
			t.Error("the second request is not named with its operation")
		}
	})
	wantStatus(t, w.post(t, admin, "/admin/documents/999999/purge", url.Values{"reason": {"x"}, "confirm": {"true"}}), http.StatusNotFound)
}
