package sysdeps

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// IsRoot reports whether the current process runs with effective user id 0.
func IsRoot() bool {
	return os.Geteuid() == 0
}

// aptUpdated records whether "apt-get update" has succeeded in this process.
// A failed update is retried by the next AptInstall call.
var aptUpdated struct {
	mu   sync.Mutex
	done bool
}

// AptInstall installs the given Debian packages with
// "apt-get install -y --no-install-recommends", running "apt-get update"
// first (at most once successfully per process). All apt-get output is
// streamed to out (which may be nil to discard it). It returns an error
// without running anything when apt-get is not on PATH or when the process
// is not root; the not-root error tells the user the command to run.
// Calling it with no packages is a no-op.
func AptInstall(ctx context.Context, out io.Writer, packages ...string) error {
	if len(packages) == 0 {
		return nil
	}
	if out == nil {
		out = io.Discard
	}
	list := strings.Join(packages, " ")
	aptGet, err := exec.LookPath("apt-get")
	if err != nil {
		return fmt.Errorf("sysdeps: installing %s needs apt-get (Debian/Ubuntu), which is not available: %w; install %s with your system's package manager", list, err, list)
	}
	if !IsRoot() {
		return fmt.Errorf("sysdeps: installing %s needs root; run: sudo apt-get install -y %s", list, list)
	}

	aptUpdated.mu.Lock()
	defer aptUpdated.mu.Unlock()
	if !aptUpdated.done {
		if err := runApt(ctx, out, aptGet, "update"); err != nil {
			return fmt.Errorf("sysdeps: apt-get update: %w", err)
		}
		aptUpdated.done = true
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, packages...)
	if err := runApt(ctx, out, aptGet, args...); err != nil {
		return fmt.Errorf("sysdeps: apt-get install %s: %w", list, err)
	}
	return nil
}

// runApt runs apt-get non-interactively with its output sent to out.
func runApt(ctx context.Context, out io.Writer, aptGet string, args ...string) error {
	fmt.Fprintf(out, "$ apt-get %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, aptGet, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout = out
	cmd.Stderr = out
	return cmd.Run()
}

// LookPathAny returns the path of the first of names found by
// exec.LookPath, trying them in order. When none is found the error wraps
// exec.ErrNotFound and lists every name tried.
func LookPathAny(names ...string) (string, error) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("sysdeps: none of %s found on PATH: %w", strings.Join(names, ", "), exec.ErrNotFound)
}
