package layers_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/cmcoord/cmcoord/"

// layer is one entry of the import table: which cmcoord packages (by
// prefix, relative to the module) a package may import, and which
// outside prefixes it must not.
type layer struct {
	may    []string // cmcoord prefixes this layer may import
	forbid []string // standard-library or third-party prefixes it must not
}

// web and database are what the pure and the SQL layers keep out.
var (
	httpAndTemplates = []string{"net/http", "net/url", "github.com/a-h/templ", "github.com/go-chi/"}
	database         = []string{"database/sql", "github.com/jackc/", "github.com/golang-migrate/"}
)

// layers is STYLE R3 as a table, keyed by package prefix (the longest
// matching prefix applies). A package under no prefix fails the test:
// a new package takes its place in the table first.
var layers = map[string]layer{
	// The pure centre: rules only, the standard library only.
	"internal/domain": {forbid: slices.Concat(httpAndTemplates, database)},
	// Leaves that know nothing of cmcoord's layers.
	"internal/i18n":    {forbid: slices.Concat(httpAndTemplates, database)},
	"internal/sysdeps": {},
	"internal/config":  {may: []string{"internal/scan"}}, // clamd's address rules are scan's
	// The clamd client: a network protocol, no HTTP, no SQL, nothing of ours.
	"internal/scan":    {forbid: slices.Concat(httpAndTemplates, database)},
	"internal/metrics": {},
	"migrations":       {},
	// Writers of the RFA tracker: rows in, bytes out; no SQL, no HTTP.
	"internal/export": {may: []string{"internal/domain"}, forbid: slices.Concat(httpAndTemplates, database)},
	// The signed decision record's format: bytes in, a ZIP out, and its
	// check; no SQL, no HTTP.
	"internal/recordbundle": {may: []string{"internal/domain"}, forbid: slices.Concat(httpAndTemplates, database)},
	// All SQL.
	"internal/store": {may: []string{"internal/domain", "migrations"}, forbid: httpAndTemplates},
	// The secrets of the links that act from an e-mail: made by notify,
	// read by service, over the installation secret the store keeps.
	"internal/actionlink": {may: []string{"internal/domain", "internal/store"}, forbid: httpAndTemplates},
	// Use cases: transactions over the store, deciding with the domain.
	"internal/service": {may: []string{"internal/domain", "internal/store", "internal/export", "internal/i18n", "internal/actionlink", "internal/scan", "internal/recordbundle"}, forbid: httpAndTemplates},
	// Notifications build links to pages (net/url) but serve none.
	"internal/notify": {may: []string{"internal/domain", "internal/store", "internal/i18n", "internal/actionlink"}, forbid: []string{"net/http", "github.com/a-h/templ", "github.com/go-chi/"}},
	// What both HTTP faces share: who is asking, and how failures answer.
	"internal/reqctx":   {may: []string{"internal/domain"}, forbid: database},
	"internal/httpface": {may: []string{"internal/service", "internal/domain", "internal/i18n", "internal/reqctx", "internal/metrics"}, forbid: database},
	// The tus data store of resumable uploads: tusd over the attachments
	// service, as the asker (reqctx); no face, no SQL.
	"internal/tusstore": {may: []string{"internal/service", "internal/domain", "internal/reqctx"}, forbid: database},
	// The faces: services, never the store.
	"internal/web": {may: []string{"internal/service", "internal/domain", "internal/i18n", "internal/reqctx", "internal/httpface", "internal/metrics", "internal/recordbundle", "internal/tusstore", "web"},
		forbid: database},
	"internal/api": {may: []string{"internal/service", "internal/domain", "internal/i18n", "internal/reqctx", "internal/httpface", "internal/metrics"},
		forbid: database},
	// The mail face: replies to notification e-mails become comments
	// through the services (SMTP, not HTTP).
	"internal/mailin": {may: []string{"internal/service", "internal/domain", "internal/i18n"}, forbid: slices.Concat(httpAndTemplates, database)},
	// Templates and static files display view models.
	"web":            {forbid: database},
	"web/components": {may: []string{"web", "internal/i18n"}, forbid: database},
	"web/pages":      {may: []string{"web/components", "internal/domain", "internal/i18n"}, forbid: database},
	// The demo data set goes through the services like any user.
	"internal/demo": {may: []string{"internal/domain", "internal/service"}, forbid: database},
	// Wiring, development tools and test helpers may reach anything but
	// the faces, which only cmd mounts.
	"cmd":               {may: []string{""}},
	"internal/pgserver": {may: []string{"internal/sysdeps"}},
	"internal/testutil": {may: []string{"internal/testutil", "internal/domain", "internal/store", "internal/scan", "migrations"}},
	"internal/devtools": {may: []string{"internal/devtools", "internal/demo", "internal/service", "internal/store", "internal/pgserver", "internal/sysdeps", "internal/domain", "internal/testutil", "migrations"}},
	"internal/layers":   {},
	// A test of the whole: its only code is documentation.
	"internal/rulesproof": {},
}

// faces are imported by cmd only (STYLE R3).
var faces = []string{"internal/web", "internal/api", "internal/mailin"}

type pkg struct {
	ImportPath string
	Imports    []string
}

// TestImportDirection checks every non-test import of every package of
// the module against layers.
func TestImportDirection(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		seen++
		name := strings.TrimPrefix(p.ImportPath, module)
		key, l, ok := layerOf(name)
		if !ok {
			t.Errorf("%s is in no layer: add it to the table in layers_test.go", name)
			continue
		}
		for _, imp := range p.Imports {
			if inner, ok := strings.CutPrefix(imp, module); ok {
				if !allowed(l.may, inner) {
					t.Errorf("%s (layer %s) imports %s, which it may not (STYLE R3)", name, key, inner)
				}
				if slices.ContainsFunc(faces, func(f string) bool { return under(inner, f) }) && !under(name, "cmd") {
					t.Errorf("%s imports the face %s: only cmd mounts the faces", name, inner)
				}
				continue
			}
			for _, f := range l.forbid {
				if strings.HasPrefix(imp, f) {
					t.Errorf("%s (layer %s) imports %s (forbidden prefix %s)", name, key, imp, f)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("go list listed no package")
	}
}

// layerOf returns the entry of the longest prefix of name in layers.
func layerOf(name string) (string, layer, bool) {
	best := ""
	found := false
	for k := range layers {
		if under(name, k) && (!found || len(k) > len(best)) {
			best, found = k, true
		}
	}
	return best, layers[best], found
}

// allowed reports whether imp lies under one of the prefixes in may ("" is
// every package).
func allowed(may []string, imp string) bool {
	return slices.ContainsFunc(may, func(m string) bool { return m == "" || under(imp, m) })
}

// under reports whether name is prefix or a package below it.
func under(name, prefix string) bool {
	return name == prefix || strings.HasPrefix(name, prefix+"/")
}
