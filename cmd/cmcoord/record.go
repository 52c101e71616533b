package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/recordbundle"
	"github.com/cmcoord/cmcoord/internal/service"
)

// errRecordFailed is returned (exit status 1) when a signed decision
// record does not verify; what differs is already on stdout.
var errRecordFailed = errors.New("decision record does not verify")

// recordUsage is `cmcoord record`'s summary.
const recordUsage = "record pubkey | verify FILE [-allowed-signers F] | rotate-key | drop-key FINGERPRINT: the keys that sign decision records (the signed ZIP of /requests/{id}/record/bundle), and checking one (exit 1 when it does not verify)"

// recordActions are the words that follow `cmcoord record`.
var recordActions = []string{"pubkey", "verify", "rotate-key", "drop-key"}

// recordOpts are the flags of `cmcoord record`.
type recordOpts struct {
	signers string // -allowed-signers F
}

func (o *recordOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.signers, "allowed-signers", "", "verify: check against this allowed_signers file (such as the instance's "+service.RecordKeysPath+"), with no database")
}

// run handles `cmcoord record ACTION`. pubkey prints the allowed_signers
// list the instance publishes (every key, current first; a key is made
// when there is none); verify checks a downloaded bundle against that
// list, or against an allowed_signers file without any database;
// rotate-key retires the current key for a new one (old records still
// verify); drop-key removes a retired, compromised key from the list.
func (o *recordOpts) run(ctx context.Context, e env, cfg config.Config, args []string) error {
	action, pos := args[0], args[1:] // flags after the file are parsed with the others (run.go)
	switch {
	case action == "verify" && len(pos) == 1:
		return recordVerify(ctx, e, cfg, pos[0], o.signers)
	case (action == "pubkey" || action == "rotate-key") && len(pos) == 0:
	case action == "drop-key" && len(pos) == 1:
	default:
		fmt.Fprintln(e.stderr, "cmcoord: say `cmcoord "+recordUsage[:strings.Index(recordUsage, ":")]+"`")
		return errUsage
	}
	a, err := recordApp(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer a.close()
	switch action {
	case "rotate-key":
		old, err := a.recordKeys.Ensure(ctx)
		if err != nil {
			return err
		}
		k, err := a.recordKeys.Rotate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Retired %s; records are now signed with %s.\n", old.Fingerprint, k.Fingerprint)
		fmt.Fprintf(e.stdout, "Both stay published at %s: records signed before still verify.\n", a.recordKeys.KeysURL())
		return nil
	case "drop-key":
		if err := a.recordKeys.Drop(ctx, pos[0]); err != nil {
			return fmt.Errorf("record drop-key: no retired key %s (rotate the current key first): %w", pos[0], err)
		}
		fmt.Fprintf(e.stdout, "Dropped %s: records signed with it no longer verify.\n", pos[0])
		return nil
	}
	if _, err := a.recordKeys.Ensure(ctx); err != nil {
		return err
	}
	b, err := a.recordKeys.AllowedSigners(ctx)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}

func recordApp(ctx context.Context, e env, cfg config.Config) (*app, error) {
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	cfg.NoMigrate = true
	return newApp(ctx, cfg, log)
}

// recordVerify checks the bundle in file against the keys of
// signersFile or, when empty, of the database.
func recordVerify(ctx context.Context, e env, cfg config.Config, file, signersFile string) error {
	zipBytes, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("record verify: %w", err)
	}
	var keys []ssh.PublicKey
	if signersFile != "" {
		b, err := os.ReadFile(signersFile)
		if err != nil {
			return fmt.Errorf("record verify: %w", err)
		}
		if keys, err = recordbundle.ParseAllowedSigners(b); err != nil {
			return fmt.Errorf("record verify: %s: %w", signersFile, err)
		}
	} else {
		a, err := recordApp(ctx, e, cfg)
		if err != nil {
			return err
		}
		defer a.close()
		if keys, err = a.recordKeys.PublicKeys(ctx); err != nil {
			return err
		}
	}
	rep, err := recordbundle.Verify(bytes.NewReader(zipBytes), int64(len(zipBytes)), keys)
	var f *recordbundle.Failure
	switch {
	case errors.As(err, &f):
		fmt.Fprintf(e.stdout, "FAILED: %s does not verify:\n", file)
		for _, p := range f.Problems {
			fmt.Fprintf(e.stdout, "  - %s\n", p)
		}
		return errRecordFailed
	case err != nil:
		fmt.Fprintf(e.stdout, "FAILED: %s: %v\n", file, err)
		return errRecordFailed
	}
	fmt.Fprintf(e.stdout, "OK: %s is the decision record of %s, signed by %s.\n", file, rep.Reference, rep.Fingerprint)
	fmt.Fprintf(e.stdout, "Chain head: event %d, %s (%d events; %d files checked).\n", rep.Head.Seq, rep.Head.Hash, rep.Events, len(rep.Files))
	return nil
}
