package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
)

func newBareServer(t *testing.T) (*Server, *strings.Builder) {
	t.Helper()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	catalog.OnMissing(func(lang, id string) { t.Errorf("missing translation %s:%s", lang, id) })
	var logs strings.Builder
	return New(Options{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Catalog: catalog, Version: "test"}), &logs
}

// TestRecoverer proves a panic becomes the friendly 500 page with the
// request ID, never the panic text, and is logged once with its stack.
func TestRecoverer(t *testing.T) {
	t.Parallel()
	s, logs := newBareServer(t)
	var h http.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal detail")
	})
	h = chi.Chain(s.stack.Middleware(s.renderError)...).Handler(h)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "secret internal detail") || strings.Contains(body, "goroutine") {
		t.Fatal("500 page leaks the panic or a stack trace")
	}
	if !strings.Contains(body, `data-testid="request-id"`) || !strings.Contains(body, "Something went wrong") {
		t.Fatalf("500 page lacks the request ID or the message:\n%s", body)
	}
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), `"stack"`) {
		t.Errorf("panic not logged with its stack: %s", logs.String())
	}
	if n := strings.Count(logs.String(), `"level":"ERROR"`); n != 1 {
		t.Errorf("panic logged %d times at ERROR, want once", n)
	}
}

func TestInternalErrorHidden(t *testing.T) {
	t.Parallel()
	s, logs := newBareServer(t)
	h := chi.Chain(s.stack.Middleware(s.renderError)...).Handler(s.handle(func(http.ResponseWriter, *http.Request) error {
		return io.ErrUnexpectedEOF
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "unexpected EOF") {
		t.Fatalf("status %d; internal error text must not reach the page", rec.Code)
	}
	if !strings.Contains(logs.String(), "unexpected EOF") {
		t.Error("internal error not logged")
	}
}

func TestFlash(t *testing.T) {
	t.Parallel()
	s, _ := newBareServer(t)
	withLocalizer := func(r *http.Request) *http.Request {
		return r.WithContext(i18n.WithLocalizer(r.Context(), s.catalog.Localizer("en")))
	}
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		s.setFlash(rec, components.FlashSuccess, "nav.home")
		req := withLocalizer(httptest.NewRequest("GET", "/", nil))
		for _, c := range rec.Result().Cookies() {
			req.AddCookie(c)
		}
		rec2 := httptest.NewRecorder()
		f := s.takeFlash(rec2, req)
		if f == nil || f.Kind != components.FlashSuccess || f.Message != "Home" {
			t.Fatalf("takeFlash = %+v, want success/Home", f)
		}
		cleared := rec2.Result().Cookies()
		if len(cleared) != 1 || cleared[0].MaxAge >= 0 {
			t.Fatalf("flash cookie not cleared: %+v", cleared)
		}
	})
	for name, value := range map[string]string{
		"ErrUnknownKey":  "success:<script>alert(1)</script>",
		"ErrUnknownKind": "shout:nav.home",
		"ErrNoSeparator": "nav.home",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := withLocalizer(httptest.NewRequest("GET", "/", nil))
			req.AddCookie(&http.Cookie{Name: flashCookie, Value: value})
			if f := s.takeFlash(httptest.NewRecorder(), req); f != nil {
				t.Fatalf("takeFlash(%q) = %+v, want nil", value, f)
			}
		})
	}
}
