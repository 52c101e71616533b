package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the domain pure (STYLE R3): no HTTP, no database, no
// templates and no other cmcoord package may reach it, even indirectly.
func TestImports(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{"net/http", "database/sql", "github.com/jackc/", "github.com/a-h/templ", "github.com/cmcoord/cmcoord/internal/"}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/cmcoord/cmcoord/internal/domain" {
			continue
		}
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("domain depends on %s (forbidden prefix %s)", dep, f)
			}
		}
	}
}
