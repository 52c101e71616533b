package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// restoreDrill is `drill restore`, the procedure of docs/operations.md
// ("Restore to a point in time"): a cluster archiving its WAL
// (archive_mode, an archive_command copying each segment to an archive
// directory), a base backup taken with pg_basebackup while cmcoord
// serves, N acknowledged writes, a named restore point
// (pg_create_restore_point), M more writes, the original stopped; then
// the base backup is restored into a new data directory with
// restore_command, recovery_target_name and recovery.signal, and must
// hold exactly the N writes (and every request there was at the restore
// point), none of the M, with an audit trail that verifies.
func restoreDrill(fs *flag.FlagSet) drill {
	n := fs.Int("n", 200, "writes before the restore point")
	m := fs.Int("m", 100, "writes after the restore point (the restore must not have them)")
	rate := fs.Int("rate", 20, "new writes a second")
	return drill{
		check: func() error {
			if *rate < 1 || *n < 1 || *m < 0 {
				return errors.New("-rate and -n must be at least 1, -m at least 0")
			}
			return nil
		},
		run: func(ctx context.Context, e *env) (*report, error) {
			return runRestore(ctx, e, *n, *m, *rate)
		},
	}
}

// runRestore runs the restore drill with its parsed flags.
func runRestore(ctx context.Context, e *env, n, m, rate int) (*report, error) {
	origin, err := e.cluster(ctx, "origin")
	if err != nil {
		return nil, err
	}
	archive := filepath.Join(e.tmp, "archive")
	if err := mkdirFor(origin, archive); err != nil {
		return nil, err
	}
	// archive_mode needs a restart; wal_level is replica by default.
	if err := execSQL(ctx, origin.URL, "ALTER SYSTEM SET archive_mode = 'on'",
		fmt.Sprintf("ALTER SYSTEM SET archive_command = 'test ! -f %[1]s/%%f && cp %%p %[1]s/%%f'", archive)); err != nil {
		return nil, err
	}
	if err := restartFast(ctx, origin); err != nil {
		return nil, err
	}
	e.logf("WAL archiving to %s", archive)
	url, tok, err := e.prepare(ctx, origin, writersFor(rate))
	if err != nil {
		return nil, err
	}
	srv, err := e.startServer(ctx, "cmcoord", url)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(e.tmp, "base")
	if err := baseBackup(ctx, origin, base); err != nil {
		return nil, err
	}
	e.logf("base backup in %s", base)

	stamp := time.Now().Unix()
	before := newLoad(srv.baseURL, tok.writers, operation, fmt.Sprintf("before%d", stamp), e.o.workers, rate)
	defer before.close()
	before.runN(ctx, n)
	var atPoint int64
	if err := queryRow(ctx, url, "SELECT count(*) FROM requests", &atPoint); err != nil {
		return nil, err
	}
	point := fmt.Sprintf("drill-%d", stamp)
	if err := execSQL(ctx, url, fmt.Sprintf("SELECT pg_create_restore_point('%s')", point)); err != nil {
		return nil, err
	}
	e.logf("%d writes acknowledged; restore point %q (%d requests)", before.figures().acked, point, atPoint)
	after := newLoad(srv.baseURL, tok.writers, operation, fmt.Sprintf("after%d", stamp), e.o.workers, rate)
	defer after.close()
	after.runN(ctx, m)
	// The last segment is archived when it is switched.
	var last string
	if err := queryRow(ctx, origin.URL, "SELECT pg_walfile_name(pg_switch_wal())", &last); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, time.Minute, func() (bool, error) {
		_, err := os.Stat(filepath.Join(archive, last))
		return err == nil, nil
	}); err != nil {
		return nil, fmt.Errorf("WAL segment %s never reached the archive: %w", last, err)
	}
	e.logf("%d more writes acknowledged; WAL archived up to %s", after.figures().acked, last)
	srv.stop()
	if err := origin.Stop(ctx); err != nil {
		return nil, err
	}
	e.logf("original stopped; restoring the base backup to %q", point)

	restoreStart := time.Now()
	restored := filepath.Join(e.tmp, "restored")
	if err := mkdirFor(origin, restored); err != nil {
		return nil, err
	}
	if _, err := origin.Run(ctx, "/bin/cp", "-a", base+"/.", restored); err != nil {
		return nil, err
	}
	settings := fmt.Sprintf("\n# drill restore\narchive_mode = 'off'\nrestore_command = 'cp %s/%%f %%p'\nrecovery_target_name = '%s'\nrecovery_target_action = 'promote'\n",
		archive, point)
	if err := appendFile(filepath.Join(restored, "postgresql.auto.conf"), settings); err != nil {
		return nil, err
	}
	signal := filepath.Join(restored, "recovery.signal")
	if err := os.WriteFile(signal, nil, 0o600); err != nil {
		return nil, err
	}
	if err := origin.Own(signal); err != nil {
		return nil, err
	}
	rc, err := e.adopt(ctx, "restored")
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 2*time.Minute, func() (bool, error) {
		var inRecovery bool
		err := queryRow(ctx, rc.URL, "SELECT pg_is_in_recovery()", &inRecovery)
		return !inRecovery, err
	}); err != nil {
		return nil, fmt.Errorf("the restored cluster never left recovery: %w", err)
	}
	restoreTook := time.Since(restoreStart)
	e.logf("restored cluster on 127.0.0.1:%d promoted after %s", rc.Port, secs(restoreTook))

	rURL := dbURL(rc, dbName)
	tb, err := check(ctx, rURL, before)
	if err != nil {
		return nil, err
	}
	ta, err := check(ctx, rURL, after)
	if err != nil {
		return nil, err
	}
	var total int64
	if err := queryRow(ctx, rURL, "SELECT count(*) FROM requests", &total); err != nil {
		return nil, err
	}
	auditOK, audit := e.auditVerify(ctx, rURL)
	logged, _ := os.ReadFile(rc.LogFile)
	stopped := strings.Contains(string(logged), fmt.Sprintf("recovery stopping at restore point %q", point))
	segments, _ := filepath.Glob(filepath.Join(archive, "0000*"))

	fb, fa := before.figures(), after.figures()
	rep := &report{title: fmt.Sprintf("drill restore — %s, base backup + archived WAL restored to the named point %q in a new cluster",
		version(origin), point)}
	rep.info("writes before the restore point, acknowledged", fb.acked)
	rep.info("writes after the restore point, acknowledged", fa.acked)
	rep.zero("writes refused or failed before the point", fb.issued-fb.acked)
	rep.zero("acknowledged writes before the point missing from the restore", tb.lost)
	rep.zero("duplicate requests in the restore", tb.duplicates)
	rep.must("requests in the restore written before the point", tb.stored, fmt.Sprint(n), tb.stored == n)
	rep.zero("requests in the restore written after the point", ta.stored)
	rep.must("requests in the restore (all)", total, fmt.Sprint(atPoint), total == atPoint)
	rep.info("WAL segments archived", len(segments))
	rep.must("the restored server's log says it stopped at the point", stopped, "true", stopped)
	rep.info("restore: copy, WAL replay to the point, promotion", secs(restoreTook))
	rep.must("cmcoord audit verify on the restored database", audit, "OK", auditOK)
	return rep, nil
}

// appendFile appends s to the file at path.
func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(s)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}
