package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// Run runs prog with args as the OS user the server runs as (the
// "postgres" user when this process is root), in the minimal environment
// of the server's own programs, and returns its combined output. A prog
// without a slash names a program of the cluster's installation
// (pg_basebackup, pg_ctl, psql, …); a path is run as it is. The drills
// (internal/devtools/drill) use it to take base backups, promote a
// standby and copy data directories the server must own.
func (c *Cluster) Run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	if !strings.Contains(prog, "/") {
		prog = filepath.Join(c.run.bins.Dir, prog)
	}
	out, err := c.run.command(ctx, prog, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("pgserver: %s %s: %w: %s", filepath.Base(prog), strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Own hands path to the OS user the server runs as; it does nothing
// unless this process is root.
func (c *Cluster) Own(path string) error {
	return c.run.chown(path)
}
