package sysdeps_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cmcoord/cmcoord/internal/sysdeps"
)

func TestIsRoot(t *testing.T) {
	if got, want := sysdeps.IsRoot(), os.Geteuid() == 0; got != want {
		t.Errorf("IsRoot() = %v, want %v", got, want)
	}
}

func TestLookPathAny(t *testing.T) {
	got, err := sysdeps.LookPathAny("cmcoord-no-such-program", "sh")
	if err != nil {
		t.Fatalf("LookPathAny: %v", err)
	}
	if filepath.Base(got) != "sh" {
		t.Errorf("LookPathAny = %q, want a path to sh", got)
	}
	_, err = sysdeps.LookPathAny("cmcoord-no-such-program", "cmcoord-no-such-program-2")
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("LookPathAny of missing programs: err = %v, want exec.ErrNotFound", err)
	}
}

func TestAptInstallNothing(t *testing.T) {
	if err := sysdeps.AptInstall(context.Background(), nil); err != nil {
		t.Errorf("AptInstall with no packages = %v, want nil", err)
	}
}
