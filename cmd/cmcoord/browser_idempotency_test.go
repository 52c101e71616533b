package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// slowLink is a link between the browser and the server on which every
// form post reaches the server, whatever the browser does meanwhile (a
// second click cancels the first navigation), and its answer comes back
// late. It records the idempotency key of each post to path.
type slowLink struct {
	target, path string
	mu           sync.Mutex
	keys         []string
}

func (l *slowLink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	// The server gets the whole post even when the browser gave up on it.
	out, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, l.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header, out.Host = r.Header.Clone(), r.Host
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if r.Method == http.MethodPost {
		if r.URL.Path == l.path {
			form, _ := url.ParseQuery(string(body))
			l.mu.Lock()
			l.keys = append(l.keys, form.Get("idempotency_key"))
			l.mu.Unlock()
		}
		time.Sleep(700 * time.Millisecond) // the slow way back
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

func (l *slowLink) posted() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys...)
}

// TestBrowserDoubleClickActsOnce: over a slow link, the requester
// double-clicks "Submit" on a draft. Both posts reach the server, with
// the form's one idempotency key; the request is submitted once (one
// event in its trail), and the browser ends on the request page, not on
// a "wrong state" refusal.
func TestBrowserDoubleClickActsOnce(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	actors := ssdOperation(t, svc, map[string]ssdMember{"rita@example.org": {orgWFP, domain.RoleRequester}})
	r, _, err := svc.requests.Create(t.Context(), actors["rita@example.org"], "SSD-CE", fixture.Request("Double-clicked lift", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	rule, _ := domain.RuleFor(domain.ActionSubmit)
	link := &slowLink{target: srv.URL, path: page + "/" + rule.Path}
	proxy := httptest.NewServer(link)
	t.Cleanup(proxy.Close)
	base := proxy.URL

	b := browser.New(t)
	b.Do(signIn(base, "rita@example.org", browserPassword), chromedp.Navigate(base+page))
	button := fmt.Sprintf(`form[action="%s"] button[type="submit"]`, link.path)
	b.Do(
		chromedp.Click(chromedp.CSS(`[data-testid="action-submit"] summary`)), // the step opens
		chromedp.WaitVisible(chromedp.CSS(button)),
		chromedp.ScrollIntoView(chromedp.CSS(button)),
	)
	// A person's double click: two clicks at the button, a moment apart,
	// the second while the first post is still on its way.
	at := browser.Get(b, chromedp.Evaluate[[]float64](fmt.Sprintf(
		`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`, button)))
	b.Do(
		chromedp.Evaluate[chromedp.Void](`window.__cmcoordOldPage = true`),
		chromedp.MouseClickXY(at[0], at[1]),
		chromedp.Sleep(80*time.Millisecond),
		chromedp.MouseClickXY(at[0], at[1], chromedp.ClickCount(2)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for { // the page the last answer leads to, loaded
				done, err := chromedp.Evaluate[bool](`!window.__cmcoordOldPage && document.readyState === 'complete' && !!document.querySelector('[data-testid="page-title"]')`)(ctx, tg)
				if err == nil && done {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(20 * time.Millisecond):
				}
			}
		}),
	)
	b.SaveArtifacts("double-click")

	keys := link.posted()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("the server got posts with keys %q, want the double click's two posts with the form's one key", keys)
	}
	var submits int
	if err := testdb.Pool(t, srv.DB).QueryRow(t.Context(), `SELECT count(*) FROM events WHERE request_id = $1 AND action = $2`,
		r.ID, string(domain.ActionSubmit)).Scan(&submits); err != nil {
		t.Fatal(err)
	}
	if submits != 1 {
		t.Errorf("the double click submitted the request %d times, want once", submits)
	}
	title := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`)))
	if !strings.Contains(title, r.Reference) {
		t.Errorf("after the double click the browser shows %q, want the request page", title)
	}
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="error-page"], [data-testid="error-summary"]').length`)); n != 0 {
		t.Errorf("after the double click the page shows an error: %q", browser.Get(b, chromedp.Text(chromedp.CSS(`main`))))
	}
	b.NoConsoleErrors()
}
