package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// postDocument posts a document through the page's form, as a browser
// without JavaScript sends it: multipart, the file last.
func (w *requestWorld) postDocument(t *testing.T, c *http.Client, id int64, fields map[string]string, name, content string) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/requests/"+strconv.FormatInt(id, 10)+"/attachments", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp, string(b)}
}

// TestDocumentsOnThePage: a document added through the plain form is
// listed with its kind, size and SHA-256 and downloads as a download;
// a refused file comes back as the page with the problem next to the
// file field and the choices kept; after the decision the requester is
// told why the form is gone.
func TestDocumentsOnThePage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Airlift")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	d := doc(t, w.get(t, w.requester, page))
	form := testid(d, "attachment-form")
	if form.Length() != 1 || form.AttrOr("enctype", "") != "multipart/form-data" {
		t.Fatalf("no multipart documents form for the requester")
	}
	if testid(d, "field-visibility").Length() != 0 || form.Find(`input[name=visibility][type=hidden][value=everyone]`).Length() != 1 {
		t.Error("the requester is offered a visibility they would not see")
	}
	if !strings.Contains(testid(d, "field-file").Text(), "does not scan") {
		t.Error("the form does not say files are not scanned")
	}
	if f := testid(doc(t, w.get(t, w.officer, page)), "field-visibility"); f.Find("input[type=radio]").Length() != 3 {
		t.Errorf("the officer is offered %d visibilities, want 3", f.Find("input[type=radio]").Length())
	}
	if testid(doc(t, w.get(t, w.hct, page)), "attachment-form").Length() != 0 {
		t.Error("an HCT member is offered the form")
	}

	pdf := "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
	resp := w.postDocument(t, w.requester, r.ID, map[string]string{"kind": "map", "title": "Access map", "visibility": "everyone"}, "map.pdf", pdf)
	wantStatus(t, resp, http.StatusSeeOther)
	d = doc(t, w.get(t, w.hct, page))
	link := testid(d, "documents").Find(`[data-testid=document-link]`)
	if link.Length() != 1 || !strings.Contains(link.Text(), "Access map") || !strings.Contains(testid(d, "documents").Text(), "not scanned") {
		t.Fatalf("the HCT member's page lists: %q", testid(d, "documents").Text())
	}
	dl := w.get(t, w.hct, link.AttrOr("href", ""))
	wantStatus(t, dl, http.StatusOK)
	h := dl.Header
	if dl.body != pdf || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename=map.pdf`) ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download: %q %v", dl.body, h)
	}
	// The trail says which document, with its hash.
	if tl := testid(doc(t, w.get(t, w.officer, page)), "timeline").Text(); !strings.Contains(tl, "Access map") || !strings.Contains(tl, "SHA-256") {
		t.Errorf("the trail does not name the document: %q", tl)
	}

	// Refused: an HTML file. The page again, the kind and title kept.
	resp = w.postDocument(t, w.officer, r.ID, map[string]string{"kind": "photo", "title": "Scene", "visibility": "officer_hc"}, "x.html", "<html><script>alert(1)</script>")
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	if !strings.Contains(testid(d, "error-file").Text(), "not accepted") || d.Find(`#title`).AttrOr("value", "") != "Scene" ||
		d.Find(`#kind option[selected]`).AttrOr("value", "") != "photo" || d.Find(`#visibility-officer_hc[checked]`).Length() != 1 {
		t.Errorf("refusal page: %q", testid(d, "attachment-form").Text())
	}

	// After the decision the requester adds nothing and is told why.
	hc := w.mustHC(t)
	done := w.approved(t, "Decided lift", hc)
	d = doc(t, w.get(t, w.requester, "/requests/"+strconv.FormatInt(done.ID, 10)))
	if testid(d, "attachment-form").Length() != 0 || !strings.Contains(testid(d, "documents-blocked").Text(), "officer") {
		t.Errorf("after the decision: form %d, blocked %q", testid(d, "attachment-form").Length(), testid(d, "documents-blocked").Text())
	}
}
