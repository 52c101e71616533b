package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// procStat is what the load run reads of /proc/<pid>/stat.
type procStat struct {
	comm string
	ppid int
	cpu  time.Duration // utime + stime
}

// parseProcStat reads a /proc/<pid>/stat line (proc(5)): the command
// name sits in parentheses and may hold spaces and parentheses itself,
// so the fields are counted from the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("/proc stat: no command name in %.60q", b)
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("/proc stat: %d fields after the command name, want at least 13", len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return procStat{}, fmt.Errorf("/proc stat: %w", err)
	}
	return procStat{comm: string(b[open+1 : end]), ppid: ppid,
		cpu: time.Duration(ut+st) * time.Second / clockTicks}, nil
}

// readProcStat reads /proc/<pid>/stat ("self" for this process).
func readProcStat(pid string) (procStat, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// processCPU is the CPU time process pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	s, err := readProcStat(strconv.Itoa(pid))
	return s.cpu, err
}

// selfCPU is the load generator's own CPU time so far.
func selfCPU() time.Duration {
	s, err := readProcStat("self")
	if err != nil {
		return 0
	}
	return s.cpu
}

// clusterCPU is the CPU time of the postmaster and of every process it
// started (backends, checkpointer, WAL writer, autovacuum…) now alive.
// A process that exits between two readings takes its time with it: the
// server's pool keeps its connections, so during a run none does.
func clusterCPU(postmaster int) (time.Duration, error) {
	top, err := readProcStat(strconv.Itoa(postmaster))
	if err != nil {
		return 0, err
	}
	total := top.cpu
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		s, err := readProcStat(e.Name())
		if err != nil || s.ppid != postmaster {
			continue
		}
		total += s.cpu
	}
	return total, nil
}

// findPostmaster returns the postmaster of the backend serving a
// connection (its parent), or an error saying why it cannot be measured:
// a server on another machine, or in another PID namespace.
func findPostmaster(backend int) (int, error) {
	s, err := readProcStat(strconv.Itoa(backend))
	if err != nil {
		return 0, fmt.Errorf("backend %d is not a local process (%v): PostgreSQL on another machine or container", backend, err)
	}
	if !strings.HasPrefix(s.comm, "postgres") {
		return 0, fmt.Errorf("local process %d is %q, not a PostgreSQL backend: PostgreSQL on another machine or container", backend, s.comm)
	}
	p, err := readProcStat(strconv.Itoa(s.ppid))
	if err != nil || !strings.HasPrefix(p.comm, "postgres") {
		return 0, fmt.Errorf("parent %d of backend %d is not a postmaster", s.ppid, backend)
	}
	return s.ppid, nil
}

// promSample is one scrape of the server's /metrics: the counters the
// load run divides by the requests served.
type promSample struct {
	mallocs, allocBytes, acquires float64
}

// promNames maps the series read to their field.
var promNames = map[string]func(*promSample) *float64{
	"go_memstats_mallocs_total":     func(s *promSample) *float64 { return &s.mallocs },
	"go_memstats_alloc_bytes_total": func(s *promSample) *float64 { return &s.allocBytes },
	"cmcoord_pgxpool_acquire_total": func(s *promSample) *float64 { return &s.acquires },
}

// parseProm reads the Prometheus text exposition format for the series
// in promNames (without labels); comments and other series are skipped.
func parseProm(r io.Reader) (promSample, error) {
	var s promSample
	found := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok || strings.Contains(name, "{") {
			continue
		}
		field := promNames[name]
		if field == nil {
			continue
		}
		val, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // a timestamp may follow
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return s, fmt.Errorf("metrics: %s: %w", line, err)
		}
		*field(&s) = v
		found++
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if found == 0 {
		return s, errors.New("metrics: no go_memstats_mallocs_total")
	}
	return s, nil
}

// scrape fetches the server's /metrics with its bearer token.
func scrape(ctx context.Context, baseURL, token string) (promSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return promSample{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return promSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return promSample{}, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	return parseProm(resp.Body)
}
