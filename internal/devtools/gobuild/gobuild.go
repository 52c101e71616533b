// Package gobuild builds the cmcoord binary for the development tools
// that run the real server (the load run, the slow-link check).
package gobuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Cmcoord compiles ./cmd/cmcoord to out from the module's root with
// goCmd ("" for go on PATH, else where the official tarball installs).
func Cmcoord(ctx context.Context, goCmd, out string) error {
	if goCmd == "" {
		goCmd = "go"
		if _, err := exec.LookPath(goCmd); err != nil {
			goCmd = "/usr/local/go/bin/go" // where the official tarball installs
		}
	}
	root, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(root))
	if mod == "" || mod == os.DevNull {
		return errors.New("run inside the cmcoord module (no go.mod found)")
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-o", out, "./cmd/cmcoord")
	cmd.Dir = filepath.Dir(mod)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build cmcoord: %w", err)
	}
	return nil
}
