package pgserver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// pidFilePID returns the postmaster process id recorded in
// dir/postmaster.pid, or 0.
func pidFilePID(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0
	}
	if pid < 0 { // a standalone backend records its pid negated
		pid = -pid
	}
	return pid
}

// isZombie reports whether process pid has exited but not been reaped.
// This happens to a postmaster started through pg_ctl in containers whose
// init process does not reap orphans; pg_ctl and postgres still consider
// such a process alive. It reports false when it cannot tell (for example
// without /proc).
func isZombie(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may itself
	// contain parentheses: "1234 (postgres) Z ...".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return false
	}
	return data[i+2] == 'Z'
}

// removeZombieLock deletes dir/postmaster.pid when the process it names is
// a zombie, so that pg_ctl and postgres do not mistake it for a running
// server. It reports whether it removed the file.
func (c *Cluster) removeZombieLock() (bool, error) {
	pid := pidFilePID(c.Dir)
	if !isZombie(pid) {
		return false, nil
	}
	c.log.Info("removing postmaster.pid of exited (zombie) server process", "pid", pid)
	if err := os.Remove(filepath.Join(c.Dir, "postmaster.pid")); err != nil && !os.IsNotExist(err) {
		return false, fmt.Errorf("pgserver: remove stale postmaster.pid: %w", err)
	}
	return true, nil
}

// processAlive reports whether process pid exists and has not exited
// (a zombie counts as exited). Without /proc it reports true: it cannot
// tell.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return true
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err != nil {
		return false
	}
	return !isZombie(pid)
}
