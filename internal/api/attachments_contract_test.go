package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// attachmentRoute reports whether op is one of the documents' routes,
// which TestOpenAPI_AttachmentResponses drives.
func attachmentRoute(op map[string]any) bool {
	tags, _ := op["tags"].([]any)
	return slices.Contains(tags, any("attachments"))
}

// upload is a multipart body of a document: its fields, then the file.
func upload(t *testing.T, fields map[string]string, filename, content string) (string, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	return buf.String(), map[string]string{"Content-Type": mw.FormDataContentType()}
}

// TestOpenAPI_AttachmentResponses drives every document route in
// success and in its documented failures, and checks each answer
// against openapi.json (see checkContract).
func TestOpenAPI_AttachmentResponses(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	succeeded := map[string]bool{}
	check := func(route string, rq req, status int) map[string]any {
		t.Helper()
		if status < 300 {
			succeeded[route] = true
		}
		return f.checkContract(t, route, rq, status)
	}
	id := func(m map[string]any) string { return fmt.Sprint(int64(m["id"].(float64))) }
	created := check("POST /operations/{code}/requests", req{Path: "/operations/NPL-EQ/requests", Token: f.requester, Body: completeBody("Documents")}, 201)
	p := "/requests/" + id(created)
	f.call(t, req{Method: "POST", Path: p + "/submit", Token: f.requester, Body: map[string]any{"version": 1}}).want(t, 200)
	doc := map[string]string{"kind": "consent_letter", "title": "Consent", "visibility": "everyone"}

	body, h := upload(t, doc, "consent.txt", "Consent of the Ministry of Home Affairs.\n")
	a := check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: body, Header: h}, 201)
	if sum := sha256.Sum256([]byte("Consent of the Ministry of Home Affairs.\n")); a["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %v, want the content's", a["sha256"])
	}
	ap := p + "/attachments/" + id(a)
	body, h = upload(t, doc, "page.html", "<!doctype html><script>alert(1)</script>")
	bad := check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: body, Header: h}, 422)
	if !strings.Contains(fmt.Sprint(bad), "attachment.type_not_allowed") {
		t.Errorf("an HTML file: %v", bad)
	}
	body, h = upload(t, map[string]string{"kind": "map", "visibility": "officer_hc"}, "map.txt", "x\n")
	check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: body, Header: h}, 422) // a visibility they would not see
	check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.viewer, Body: body, Header: h}, 403)
	check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.outsider, Body: body, Header: h}, 404)
	check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: "{}"}, 400)
	// Refusals name what they are about, with their figures.
	f.attach.WithMaxSize(1 << 20)
	body, h = upload(t, doc, "big.txt", strings.Repeat("a", 1<<20+1))
	big := check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: body, Header: h}, 422)
	if msg := fmt.Sprint(big); !strings.Contains(msg, "larger than 1 MB") || strings.Contains(msg, "no value") {
		t.Errorf("too large: %v", big)
	}
	f.attach.WithMaxSize(20 << 20)
	// The file before the fields: the stream never reaches them, and says so.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "x.txt")
	fw.Write([]byte("x\n"))
	mw.WriteField("kind", "map")
	mw.WriteField("visibility", "everyone")
	mw.Close()
	last := check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: buf.String(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}}, 422)
	if !strings.Contains(fmt.Sprint(last), "attachment.file_last") {
		t.Errorf("file first: %v", last)
	}
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	mw.WriteField("kind", "map")
	fw, _ = mw.CreateFormFile("file", "x.txt")
	fw.Write([]byte("x\n"))
	mw.WriteField("visibility", "everyone")
	mw.Close()
	middle := check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.requester, Body: buf.String(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}}, 422)
	if !strings.Contains(fmt.Sprint(middle), "attachment.file_last") {
		t.Errorf("file in the middle: %v", middle)
	}
	check("POST /requests/{id}/attachments", req{Path: p + "/attachments", Body: body, Header: h}, 401)

	list := check("GET /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.viewer}, 200)
	if items, _ := list["items"].([]any); len(items) != 1 {
		t.Errorf("list = %v", list)
	}
	check("GET /requests/{id}/attachments", req{Path: p + "/attachments", Token: f.outsider}, 404)
	check("GET /requests/{id}/attachments/{attachment_id}", req{Path: ap, Token: f.officer}, 200)
	check("GET /requests/{id}/attachments/{attachment_id}", req{Path: p + "/attachments/999999", Token: f.officer}, 404)

	// The content: a download, never shown inline.
	r := f.call(t, req{Method: "GET", Path: ap + "/content", Token: f.viewer}).want(t, 200)
	succeeded["GET /requests/{id}/attachments/{attachment_id}/content"] = true
	if string(r.Body) != "Consent of the Ministry of Home Affairs.\n" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") ||
		r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		r.Header.Get("ETag") != `"`+fmt.Sprint(a["sha256"])+`"` {
		t.Errorf("content: %q %v", r.Body, r.Header)
	}
	f.call(t, req{Method: "GET", Path: ap + "/content", Token: f.viewer, Header: map[string]string{"If-None-Match": r.Header.Get("ETag")}}).want(t, 304)
	f.call(t, req{Method: "GET", Path: ap + "/content", Token: f.outsider}).want(t, 404)

	check("POST /requests/{id}/attachments/{attachment_id}/remove", req{Path: ap + "/remove", Token: f.viewer, Body: map[string]any{"reason": "x"}}, 403)
	check("POST /requests/{id}/attachments/{attachment_id}/remove", req{Path: ap + "/remove", Token: f.officer, Body: map[string]any{"reason": ""}}, 422)
	removed := check("POST /requests/{id}/attachments/{attachment_id}/remove", req{Path: ap + "/remove", Token: f.officer,
		Body: map[string]any{"reason": "The draft, not the signed letter."}}, 200)
	if removed["removed_at"] == nil || removed["content_url"] != nil {
		t.Errorf("removed = %v", removed)
	}
	check("POST /requests/{id}/attachments/{attachment_id}/remove", req{Path: ap + "/remove", Token: f.officer, Body: map[string]any{"reason": "Again."}}, 409)
	f.call(t, req{Method: "GET", Path: ap + "/content", Token: f.officer}).want(t, 404)

	check("POST /requests/{id}/attachments/{attachment_id}/purge", req{Path: ap + "/purge", Token: f.officer, Body: map[string]any{"reason": "x"}}, 403)
	check("POST /requests/{id}/attachments/{attachment_id}/purge", req{Path: ap + "/purge", Token: f.adminToken, Body: map[string]any{"reason": ""}}, 422)
	check("POST /requests/{id}/attachments/{attachment_id}/purge", req{Path: ap + "/purge", Token: f.adminToken, Body: map[string]any{"reason": "DP request 14."}}, 204)
	check("POST /requests/{id}/attachments/{attachment_id}/purge", req{Path: ap + "/purge", Token: f.adminToken, Body: map[string]any{"reason": "Again."}}, 409)

	for route, op := range loadDoc(t).operations() {
		if attachmentRoute(op) && !succeeded[route] {
			t.Errorf("%s was not driven to success", route)
		}
	}
}

// TestTamperedDownloadIsNoDownload: a stored file changed behind
// cmcoord's back is answered as an error, never under the document's
// name or length, and never whole.
func TestTamperedDownloadIsNoDownload(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	created := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Body: completeBody("Tamper")}).want(t, 201)
	id := fmt.Sprint(int64(decode[map[string]any](t, created)["id"].(float64)))
	body, h := upload(t, map[string]string{"kind": "map", "visibility": "everyone"}, "map.txt", "Road open.\n")
	a := decode[map[string]any](t, f.call(t, req{Method: "POST", Path: "/requests/" + id + "/attachments", Token: f.requester, Body: body, Header: h}).want(t, 201))
	aid := fmt.Sprint(int64(a["id"].(float64)))
	if _, err := f.pool.Exec(t.Context(), `ALTER TABLE file_chunks DISABLE TRIGGER file_chunks_guard;
		UPDATE file_chunks SET data = convert_to('Road shut.'||chr(10), 'UTF8') WHERE file_id = (SELECT file_id FROM attachments WHERE id = `+aid+`);
		ALTER TABLE file_chunks ENABLE TRIGGER file_chunks_guard`); err != nil {
		t.Fatal(err)
	}
	// A plain client: a server fault is outside the contract's answers.
	rq, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/requests/"+id+"/attachments/"+aid+"/content", nil)
	rq.Header.Set("Authorization", "Bearer "+f.requester)
	resp, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get("Content-Disposition") != "" || resp.Header.Get("ETag") != "" || strings.Contains(string(got), "Road shut") {
		t.Errorf("tampered download: %d %v %q", resp.StatusCode, resp.Header, got)
	}
}
