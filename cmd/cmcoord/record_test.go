package main

import (
	"archive/zip"
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/recordbundle"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// signedBundle writes a bundle of a small chain signed with the current
// key of the database at url, into a file.
func signedBundle(t *testing.T, url string) string {
	t.Helper()
	keys := service.NewRecordKeys(store.New(testdb.Pool(t, url)), "", "https://cmcoord.example.org", time.Now, slog.New(slog.DiscardHandler))
	signer, err := keys.Signer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e := domain.Event{RequestID: 9, Seq: 1, ActorID: 1, Action: domain.EventCreated, Payload: []byte(`{}`), At: time.Now()}
	e.Hash = e.ComputeHash()
	var buf bytes.Buffer
	if err := recordbundle.Write(&buf, recordbundle.Contents{Reference: "RFA-9", RequestID: 9, HTML: []byte("<p>record</p>"),
		Record: map[string]string{}, Events: []domain.Event{e}}, signer); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "RFA-9-record.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunRecord: `cmcoord record pubkey` prints the published list (the
// key made on first use), `record verify` says OK with the key and the
// chain head against the database's keys or an allowed_signers file, and
// FAILED (exit 1) for a changed bundle; after `record rotate-key` the old
// bundle still verifies, and `record drop-key` of the retired key ends that.
func TestRunRecord(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t)
	pub, err := runCmd(t, "record", "pubkey", "-database-url", url)
	if err != nil || !strings.Contains(pub, "records@127.0.0.1 namespaces=\"cmcoord-record\" ssh-ed25519 ") {
		t.Fatalf("record pubkey = %v, %q", err, pub)
	}
	file := signedBundle(t, url)
	out, err := runCmd(t, "record", "verify", file, "-database-url", url) // flags after the file too
	if err != nil || !strings.HasPrefix(out, "OK: ") || !strings.Contains(out, "RFA-9") || !strings.Contains(out, "SHA256:") || !strings.Contains(out, "Chain head: event 1") {
		t.Fatalf("record verify = %v, %q", err, out)
	}
	signers := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(signers, []byte(pub), 0o644)
	// With -allowed-signers, no database: a wrong one would fail.
	if out, err := runCmd(t, "record", "verify", "-database-url", "postgres://nobody@127.0.0.1:1/none", file, "-allowed-signers", signers); err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("record verify -allowed-signers = %v, %q", err, out)
	}

	// A changed bundle: FAILED, exit status 1, saying what differs.
	b, _ := os.ReadFile(file)
	changed := filepath.Join(t.TempDir(), "changed.zip")
	os.WriteFile(changed, b[:len(b)/2], 0o644) // cut short
	if out, err := runCmd(t, "record", "verify", changed, "-allowed-signers", signers); err != errRecordFailed || !strings.HasPrefix(out, "FAILED: ") {
		t.Fatalf("record verify of a changed bundle = %v, %q", err, out)
	}
	stored, err := rewriteZip(b, recordbundle.FileHTML, []byte("<p>another record</p>"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(changed, stored, 0o644)
	if out, err := runCmd(t, "record", "verify", changed, "-allowed-signers", signers); err != errRecordFailed || !strings.Contains(out, "record.html differs") {
		t.Fatalf("record verify of a changed record = %v, %q", err, out)
	}

	// Rotation: the old bundle still verifies against the database's list.
	out, err = runCmd(t, "record", "rotate-key", "-database-url", url)
	if err != nil || !strings.HasPrefix(out, "Retired SHA256:") {
		t.Fatalf("record rotate-key = %v, %q", err, out)
	}
	pub2, _ := runCmd(t, "record", "pubkey", "-database-url", url)
	if !strings.Contains(pub2, "# retired") || strings.Count(pub2, "ssh-ed25519 ") != 2 || strings.Index(pub2, "# current") > strings.Index(pub2, "# retired") {
		t.Fatalf("record pubkey after rotation:\n%s", pub2)
	}
	if out, err := runCmd(t, "record", "verify", "-database-url", url, file); err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("record verify after rotation = %v, %q", err, out)
	}
	// Dropping the retired (compromised) key: its bundles fail.
	fp := regexp.MustCompile(`SHA256:[A-Za-z0-9+/]{43}`).FindString(out)
	if _, err := runCmd(t, "record", "drop-key", "-database-url", url, fp); err != nil {
		t.Fatalf("record drop-key %s: %v", fp, err)
	}
	if out, err := runCmd(t, "record", "verify", "-database-url", url, file); err != errRecordFailed || !strings.Contains(out, "not among the instance's keys") {
		t.Fatalf("record verify after dropping its key = %v, %q", err, out)
	}
}

// rewriteZip returns the ZIP b with file name's content replaced.
func rewriteZip(b []byte, name string, body []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		old, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if f.Name == name {
			old = body
		}
		fw, err := zw.Create(f.Name)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(old); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
