// Package web holds cmcoord's browser-facing files: the templ components
// and pages (subpackages components and pages) and the static assets
// embedded here, served under content-hashed URLs.
//
// An embed directive cannot reach "..", so the embed lives in this package.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// assetTable maps logical names ("css/app.css") to hashed URLs and back.
type assetTable struct {
	urls   map[string]string // logical name → /static/css/app.3f9a1c2b.css
	byPath map[string]string // hashed path below /static/ → logical name
	etags  map[string]string // logical name → strong ETag
	bodies map[string][]byte // logical name → the bytes served
}

var assets = sync.OnceValue(func() *assetTable {
	t := &assetTable{urls: map[string]string{}, byPath: map[string]string{}, etags: map[string]string{}, bodies: map[string][]byte{}}
	_ = fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		switch path.Ext(p) {
		case ".js":
			b = trimScript(b)
		case ".css":
			b = trimStyle(b)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:10]
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + h + ext
		t.urls[name] = "/static/" + hashed
		t.byPath[hashed] = name
		t.etags[name] = `"` + h + `"`
		t.bodies[name] = b
		return nil
	})
	return t
})

// Asset returns the content-hashed URL of the static file name (a path
// below web/static, such as "css/app.css"). It panics on an unknown name:
// that is a programming error a test catches on the first render.
func Asset(name string) string {
	u, ok := assets().urls[name]
	if !ok {
		panic("web: unknown asset " + name)
	}
	return u
}

// AssetBody returns the bytes served for the static file name (as
// Asset names it), for a page that carries its stylesheet inline. It
// panics on an unknown name, as Asset does.
func AssetBody(name string) []byte {
	b, ok := assets().bodies[name]
	if !ok {
		panic("web: unknown asset " + name)
	}
	return b
}

// StaticHandler serves the embedded assets at /static/<name>.<hash>.<ext>
// with a one-year immutable cache lifetime. Names without the current hash
// are 404s: a page always links to the hash of the binary that served it.
func StaticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := assets()
		hashed := strings.TrimPrefix(r.URL.Path, "/static/")
		name, ok := t.byPath[hashed]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b := t.bodies[name]
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", t.etags[name])
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

//go:embed sw.js
var serviceWorker []byte

// ServiceWorker returns the service worker's source with this build's
// version and hashed asset URLs filled in, and its ETag. A new build has
// new hashes, so a new worker: it caches the new assets and drops the
// caches of the old one.
var ServiceWorker = sync.OnceValues(func() ([]byte, string) {
	t := assets()
	urls := make([]string, 0, len(t.urls))
	for _, u := range t.urls {
		urls = append(urls, u)
	}
	slices.Sort(urls)
	list, _ := json.Marshal(urls)
	sum := sha256.Sum256(append(append([]byte(nil), serviceWorker...), list...))
	version := hex.EncodeToString(sum[:])[:10]
	body := bytes.Replace(serviceWorker, []byte(`"__ASSETS__"`), list, 1)
	body = bytes.Replace(body, []byte(`__VERSION__`), []byte(version), 1)
	return body, `"` + version + `"`
})

// styleComment is a comment of a stylesheet (ours holds none inside a
// string: TestTrimStyle).
var styleComment = regexp.MustCompile(`(?s)/\*.*?\*/`)

// trimStyle drops a stylesheet's comments, indentation and blank lines,
// which every page's first load would carry over a slow link for nothing;
// the rules stay as written.
func trimStyle(b []byte) []byte {
	var out bytes.Buffer
	for line := range bytes.Lines(styleComment.ReplaceAll(b, nil)) {
		if l := bytes.TrimSpace(line); len(l) > 0 {
			out.Write(l)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

// trimScript drops a script's whole-line comments and indentation: the
// bytes a slow link carries for nothing (the page-weight budget counts
// the script). Line breaks stay, so the code means exactly the same; a
// comment after code, or in a string, is left alone.
func trimScript(b []byte) []byte {
	var out bytes.Buffer
	for line := range bytes.Lines(b) {
		l := bytes.TrimLeft(line, " \t")
		if bytes.HasPrefix(l, []byte("//")) || len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		out.Write(l)
	}
	return out.Bytes()
}
