package pgserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// runner runs PostgreSQL programs, as an unprivileged OS user when the
// process is root (initdb, pg_ctl and postgres refuse to run as root).
type runner struct {
	bins    Bins
	asOther bool   // run programs with the credentials below
	user    string // name of the OS user programs run as
	uid     uint32
	gid     uint32
}

// newRunner returns a runner for bins. When the effective user is root it
// selects the "postgres" OS user, or "nobody" when that does not exist.
func newRunner(bins Bins) (*runner, error) {
	r := &runner{bins: bins}
	if os.Geteuid() != 0 {
		if u, err := user.Current(); err == nil {
			r.user = u.Username
		}
		return r, nil
	}
	var u *user.User
	var err error
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root needs an unprivileged OS user (postgres or nobody) to run PostgreSQL as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgserver: user %s: uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgserver: user %s: gid %q: %w", u.Username, u.Gid, err)
	}
	r.asOther, r.user, r.uid, r.gid = true, u.Username, uint32(uid), uint32(gid)
	return r, nil
}

// command returns a command running prog (a path from r.bins) with a
// minimal, deterministic environment and working directory "/".
func (r *runner) command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = "/"
	home := os.Getenv("HOME")
	if r.asOther || home == "" {
		home = os.TempDir()
	}
	cmd.Env = []string{
		"PATH=" + r.bins.Dir + string(filepath.ListSeparator) + "/usr/local/bin:/usr/bin:/bin",
		"LANG=C",
		"HOME=" + home,
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if r.asOther {
		// Groups is empty: the supplementary groups of root are dropped.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: []uint32{}}
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// chown gives path to the user programs run as; it is a no-op unless the
// process is root.
func (r *runner) chown(path string) error {
	if !r.asOther {
		return nil
	}
	if err := os.Chown(path, int(r.uid), int(r.gid)); err != nil {
		return fmt.Errorf("pgserver: chown %s to %s: %w", path, r.user, err)
	}
	return nil
}

// checkTraversable returns an error when the user programs run as cannot
// reach dir because an ancestor directory lacks search permission for it.
// It checks only classic permission bits, which is what the directories
// cmcoord creates use.
func (r *runner) checkTraversable(dir string) error {
	if !r.asOther {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgserver: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			perm := fi.Mode().Perm()
			var bit os.FileMode = 0o001
			switch {
			case st.Uid == r.uid:
				bit = 0o100
			case st.Gid == r.gid:
				bit = 0o010
			}
			if perm&bit == 0 {
				return fmt.Errorf("pgserver: PostgreSQL runs as OS user %s, which cannot enter %s (mode %04o); use a data directory under a world-searchable path or run: chmod o+x %s", r.user, d, perm, d)
			}
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}
