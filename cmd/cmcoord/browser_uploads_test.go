package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// cutProxy is a TCP proxy between the browser and the server that cuts
// the connection carrying the first tus PATCH once cutAfter bytes of it
// have passed upstream: both sides closed, mid-body, as a satellite link
// drops — not a hook in the server.
type cutProxy struct {
	URL      string
	upstream string
	cutAfter int
	cuts     atomic.Int32
	armed    atomic.Bool
	wg       sync.WaitGroup
}

func startCutProxy(t *testing.T, upstream string, cutAfter int) *cutProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	p := &cutProxy{URL: "http://" + ln.Addr().String(), upstream: u.Host, cutAfter: cutAfter}
	p.armed.Store(true)
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p
}

var patchLine = []byte("PATCH /uploads/")

func (p *cutProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { // server → client, as is
		_, _ = io.Copy(client, server)
		client.Close()
	}()
	var (
		buf     = make([]byte, 32<<10)
		tail    []byte // the last bytes, for a request line cut between reads
		counted = -1   // bytes of the PATCH passed upstream; -1: none seen
	)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if counted < 0 && p.armed.Load() {
				window := append(tail, chunk...)
				if i := bytes.Index(window, patchLine); i >= 0 {
					counted = len(window) - i - len(chunk) // bytes of it before this read (negative: starts within)
					if counted < 0 {
						counted = 0
					}
				}
				tail = append([]byte(nil), window[max(0, len(window)-len(patchLine)):]...)
			}
			if counted >= 0 && p.armed.Load() {
				room := p.cutAfter - counted
				if room <= len(chunk) {
					if p.armed.CompareAndSwap(true, false) {
						_, _ = server.Write(chunk[:max(room, 0)])
						p.cuts.Add(1)
						server.Close()
						client.Close()
						return
					}
				}
				counted += len(chunk)
			}
			if _, werr := server.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			if tc, ok := server.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// uploadsWorld makes SSD-CE with rita and sam (WFP requesters), nina (an
// NGO requester, who does not see WFP's requests) and vera (a viewer),
// and a draft request of rita's; it returns the services, the actors and
// the request.
func uploadsWorld(t *testing.T, dbURL string) (testServices, map[string]domain.Actor, domain.Request) {
	t.Helper()
	svc := services(t, dbURL)
	actors := ssdOperation(t, svc, map[string]ssdMember{
		"rita@example.org": {orgWFP, domain.RoleRequester},
		"sam@example.org":  {orgWFP, domain.RoleRequester},
		"nina@example.org": {orgNGO, domain.RoleRequester},
		"vera@example.org": {orgWFP, domain.RoleViewer},
	})
	r, _, err := svc.requests.Create(t.Context(), actors["rita@example.org"], "SSD-CE", fixture.Request("Airlift of medical supplies", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	return svc, actors, r
}

// fakePDF writes size bytes of random content behind a PDF header (what
// the server's sniffing accepts) to a file in dir, and returns its path
// and SHA-256.
func fakePDF(t *testing.T, dir string, size int) (string, []byte) {
	t.Helper()
	b := make([]byte, size)
	_, _ = rand.Read(b)
	copy(b, "%PDF-1.7\n")
	path := filepath.Join(dir, "security-assessment.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, sum[:]
}

// TestBrowserResumableUpload: rita adds a 3 MB document through the
// request page in Chromium, with a TCP proxy between the browser and the
// server that cuts the connection in the middle of the first PATCH;
// upload.js asks where the upload stopped and resumes, the page lands on
// the request with the document listed and a flash, and the stored
// file's SHA-256 — read back through the service, and shown on the page —
// is the original's.
func TestBrowserResumableUpload(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, actors, r := uploadsWorld(t, srv.DB)
	proxy := startCutProxy(t, srv.URL, 300<<10)
	path, want := fakePDF(t, t.TempDir(), 3<<20)

	b := browser.New(t)
	b.Do(signIn(proxy.URL, "rita@example.org", browserPassword))
	page := proxy.URL + "/requests/" + strconv.FormatInt(r.ID, 10)
	b.Do(
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="attachment-form"]`)),
		waitJS(`!!document.querySelector('script[src*="/js/upload."]')`),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid="attachment-submit"]`)),
		waitJS(`location.hash.startsWith('#document-') && !!document.querySelector('[data-testid="flash"]') && document.readyState === 'complete'`),
	)
	if n := proxy.cuts.Load(); n < 1 {
		t.Fatalf("the proxy cut no connection: the upload was never interrupted")
	}
	b.SaveArtifacts("uploaded")
	flash := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="flash"]`)))
	if !strings.Contains(flash, "Document added") {
		t.Errorf("flash = %q", flash)
	}

	att := service.NewAttachments(store.New(testdb.Pool(t, srv.DB)), time.Now, discardLogger())
	docs, err := att.List(t.Context(), actors["rita@example.org"], r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("documents = %d, want 1", len(docs))
	}
	d := docs[0]
	if d.Filename != "security-assessment.pdf" || d.Size != 3<<20 || d.ContentType != "application/pdf" {
		t.Errorf("document = %q, %d bytes, %s", d.Filename, d.Size, d.ContentType)
	}
	dl, err := att.Open(t.Context(), actors["rita@example.org"], r.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if err := dl.WriteTo(h); err != nil {
		t.Fatal(err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) || !bytes.Equal(d.SHA256, want) {
		t.Fatalf("stored SHA-256 %x (recorded %x), original %x", got, d.SHA256, want)
	}
	shown := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="document-`+strconv.FormatInt(d.ID, 10)+`"] [data-testid="document-sha256"]`)))
	if strings.TrimSpace(shown) != hex.EncodeToString(want) {
		t.Errorf("page shows SHA-256 %q, want %x", shown, want)
	}
}

// tusClient speaks tus to the server as a signed-in user.
type tusClient struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (c tusClient) do(method, path string, h map[string]string, body io.Reader) (*http.Response, string) {
	c.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.base + path
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, u, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func tusMeta(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

// create starts an upload of size bytes to request id, file name name.
func (c tusClient) create(requestID int64, name string, size int) (*http.Response, string) {
	c.t.Helper()
	return c.do(http.MethodPost, "/uploads/", map[string]string{
		"Upload-Length":   strconv.Itoa(size),
		"Upload-Metadata": tusMeta("request_id", strconv.FormatInt(requestID, 10), "kind", "map", "filename", name, "visibility", "everyone"),
	}, nil)
}

func (c tusClient) patch(loc string, offset int, body []byte) (*http.Response, string) {
	c.t.Helper()
	return c.do(http.MethodPatch, loc, map[string]string{"Upload-Offset": strconv.Itoa(offset),
		"Content-Type": "application/offset+octet-stream"}, bytes.NewReader(body))
}

// TestUploadEndpoints checks the tus endpoint over plain HTTP: sign-in
// needed (401, never the sign-in page); an upload whose bytes came in two
// PATCHes finishes as a document with a link to its request; another
// user's upload is not found, nor one of a request the user cannot see;
// a viewer may not attach; a length over the limit is 413 and a
// forbidden type 422, each with its message; a stale offset is 409; no
// CORS is offered to another origin.
func TestUploadEndpoints(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "-max-attachment-mb", "1")
	_, _, r := uploadsWorld(t, srv.DB)
	as := func(email string) tusClient {
		return tusClient{t: t, c: signInWith(t, srv.URL, email, browserPassword, "tus-test").Client, base: srv.URL}
	}
	rita, sam := as("rita@example.org"), as("sam@example.org")

	// Not signed in: 401, no redirect.
	anon := tusClient{t: t, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: srv.URL}
	if resp, _ := anon.create(r.ID, "map.pdf", 10); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous creation: %d, want 401", resp.StatusCode)
	}

	// Discovery: no CORS for another origin.
	resp, _ := rita.do(http.MethodOptions, "/uploads/", map[string]string{"Origin": "https://elsewhere.example"}, nil)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("OPTIONS offers CORS: %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp.Header.Get("Tus-Max-Size") != strconv.Itoa(1<<20) {
		t.Errorf("Tus-Max-Size = %q", resp.Header.Get("Tus-Max-Size"))
	}

	// A whole upload, in two pieces.
	content := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 300<<10)...)
	resp, body := rita.create(r.ID, "map.pdf", len(content))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.Contains(loc, "/uploads/") {
		t.Fatalf("Location = %q", loc)
	}
	if resp, body := rita.patch(loc, 0, content[:100<<10]); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(100<<10) {
		t.Fatalf("first PATCH: %d offset %q %s", resp.StatusCode, resp.Header.Get("Upload-Offset"), body)
	}
	// Someone else's upload: not found, for HEAD and PATCH alike.
	if resp, _ := sam.do(http.MethodHead, loc, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user's HEAD: %d, want 404", resp.StatusCode)
	}
	if resp, _ := sam.patch(loc, 100<<10, content[100<<10:]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user's PATCH: %d, want 404", resp.StatusCode)
	}
	// A stale offset: a conflict, nothing written.
	if resp, _ := rita.patch(loc, 0, content[:10]); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale offset: %d, want 409", resp.StatusCode)
	}
	if resp, _ := rita.do(http.MethodHead, loc, nil, nil); resp.StatusCode != http.StatusOK || resp.Header.Get("Upload-Offset") != strconv.Itoa(100<<10) {
		t.Errorf("HEAD: %d offset %q", resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	resp, body = rita.patch(loc, 100<<10, content[100<<10:])
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("last PATCH: %d %s", resp.StatusCode, body)
	}
	var done struct{ Location string }
	if err := json.Unmarshal([]byte(body), &done); err != nil || !strings.HasPrefix(done.Location, "/requests/"+strconv.FormatInt(r.ID, 10)+"#document-") {
		t.Errorf("finish answer %q (%v)", body, err)
	}
	if !strings.Contains(resp.Header.Get("Set-Cookie"), "documents.added_flash") {
		t.Errorf("no flash set: %q", resp.Header.Get("Set-Cookie"))
	}
	// Finished: the upload is gone.
	if resp, _ := rita.do(http.MethodHead, loc, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD after finishing: %d, want 404", resp.StatusCode)
	}

	// Who may not attach: a request the NGO does not see is not found; a
	// viewer who sees it is forbidden.
	if resp, body := as("nina@example.org").create(r.ID, "map.pdf", 10); resp.StatusCode != http.StatusNotFound {
		t.Errorf("NGO requester's creation: %d %s, want 404", resp.StatusCode, body)
	}
	if resp, body := as("vera@example.org").create(r.ID, "map.pdf", 10); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("viewer's creation: %d %s, want 403 or 404", resp.StatusCode, body)
	}

	// Over the limit: 413, said in the reader's language.
	resp, body = rita.create(r.ID, "big.pdf", 2<<20)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 1 MB") {
		t.Errorf("over the limit: %d %s, want 413 and the message", resp.StatusCode, body)
	}

	// A forbidden type, refused when finished: 422 with the message, by
	// the file field.
	html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
	resp, body = rita.create(r.ID, "page.html", len(html))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create html: %d %s", resp.StatusCode, body)
	}
	resp, body = rita.patch(resp.Header.Get("Location"), 0, html)
	var refusal struct {
		Message string
		Fields  map[string]string
	}
	_ = json.Unmarshal([]byte(body), &refusal)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(refusal.Fields["file"], "not accepted") || refusal.Message == "" {
		t.Errorf("HTML file: %d %s, want 422 with the message", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("refusal Content-Type = %q", ct)
	}

	// A made-up ID: not found.
	if resp, _ := rita.do(http.MethodHead, "/uploads/999999999", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown upload: %d, want 404", resp.StatusCode)
	}
	if resp, _ := rita.do(http.MethodHead, "/uploads/abc", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("malformed upload ID: %d, want 404", resp.StatusCode)
	}
}
