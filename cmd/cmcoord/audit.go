package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/service"
)

// errAuditBroken is returned (exit status 1) when an audit chain (a
// request's events or the directory log) does not verify; the details
// are already on stdout.
var errAuditBroken = errors.New("audit trail does not verify")

// auditOpts are the flags of `cmcoord audit verify`.
type auditOpts struct {
	head string // -directory-head SEQ:HASH
}

func (o *auditOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.head, "directory-head", "", "a head of the directory log printed by an earlier run (SEQ:HASH): the log must still hold it")
}

// run handles `cmcoord audit verify`: it walks every request's chain of
// events and the directory log's chain, recomputing each hash, and names
// the first entry of each that does not verify; it rehashes every stored
// document and names each whose content differs from the SHA-256 its
// event recorded; it prints the directory
// log's head, to keep outside cmcoord and pass back with
// -directory-head, which then also catches newest entries removed. It
// never migrates or changes anything.
func (o *auditOpts) run(ctx context.Context, e env, cfg config.Config, _ []string) error {
	var anchor *service.Anchor
	if o.head != "" {
		seq, h, ok := strings.Cut(o.head, ":")
		n, err := strconv.ParseInt(seq, 10, 64)
		hash, herr := hex.DecodeString(h)
		if !ok || err != nil || n < 1 || herr != nil || len(hash) != 32 {
			return errors.New("audit verify: -directory-head is SEQ:HASH as printed by an earlier run")
		}
		anchor = &service.Anchor{Seq: n, Hash: hash}
	}
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	cfg.NoMigrate = true
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.requests.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	dir, err := a.directory.VerifyDirectoryLog(ctx, anchor)
	if err != nil {
		return err
	}
	files, err := a.attach.VerifyFiles(ctx)
	if err != nil {
		return err
	}
	broken := false
	if len(files.Mismatches) > 0 {
		for _, m := range files.Mismatches {
			fmt.Fprintf(e.stdout, "BROKEN: request %d, document %d: %s\n", m.RequestID, m.AttachmentID, m.Problem)
		}
		fmt.Fprintf(e.stdout, "Checked %d stored documents (%d bytes): %d differ from their recorded SHA-256.\n", files.Files, files.Bytes, len(files.Mismatches))
		broken = true
	} else {
		fmt.Fprintf(e.stdout, "OK: %d stored documents (%d bytes) match the SHA-256 their events recorded.\n", files.Files, files.Bytes)
	}
	if b := rep.Break; b != nil {
		fmt.Fprintf(e.stdout, "BROKEN: request %d, event %d (seq %d): %s\n", b.RequestID, b.EventID, b.Seq, b.Problem)
		fmt.Fprintf(e.stdout, "Checked %d events in %d chains before the break.\n", rep.Events, rep.Requests)
		broken = true
	} else {
		fmt.Fprintf(e.stdout, "OK: %d events in %d request chains verify.\n", rep.Events, rep.Requests)
	}
	if b := dir.Break; b != nil {
		if b.EventID == 0 { // the anchor's entry is missing: no entry to name
			fmt.Fprintf(e.stdout, "BROKEN: directory log: %s\n", b.Problem)
			fmt.Fprintf(e.stdout, "Checked %d directory log entries.\n", dir.Events)
		} else {
			fmt.Fprintf(e.stdout, "BROKEN: directory log, entry %d (seq %d): %s\n", b.EventID, b.Seq, b.Problem)
			fmt.Fprintf(e.stdout, "Checked %d directory log entries before the break.\n", dir.Events-1)
		}
		broken = true
	} else {
		fmt.Fprintf(e.stdout, "OK: %d directory log entries verify.\n", dir.Events)
		if dir.HeadSeq > 0 {
			fmt.Fprintf(e.stdout, "Directory log head: %d:%x (keep it elsewhere; pass it as -directory-head to a later run)\n", dir.HeadSeq, dir.HeadHash)
		}
	}
	if broken {
		return errAuditBroken
	}
	return nil
}
