package service_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestRecordKeys: without a file the first start makes one key in the
// database and later starts keep it; with -record-key-file the key is
// generated in the file (mode 0600), registered without its private half,
// and a rotation writes the new key there; every key stays published
// until dropped, and the current one cannot be dropped.
func TestRecordKeys(t *testing.T) {
	t.Parallel()
	t.Run("InDatabase", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		keys := service.NewRecordKeys(st, "", "https://cmcoord.example.org:8443/x", time.Now, slog.New(slog.DiscardHandler))
		if keys.Principal() != "records@cmcoord.example.org" || keys.KeysURL() != "https://cmcoord.example.org:8443/x/.well-known/cmcoord-record-keys" {
			t.Fatalf("Principal = %q, KeysURL = %q", keys.Principal(), keys.KeysURL())
		}
		k1, err := keys.Ensure(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if k2, _ := keys.Ensure(t.Context()); k2.Fingerprint != k1.Fingerprint || k1.InFile {
			t.Fatalf("a second start changed the key: %+v, %+v", k1, k2)
		}
		if err := keys.Drop(t.Context(), k1.Fingerprint); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("Drop(current) = %v, want not found", err)
		}
		k3, err := keys.Rotate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		s, err := keys.Signer(t.Context())
		if err != nil || ssh.FingerprintSHA256(s.Key.PublicKey()) != k3.Fingerprint {
			t.Fatalf("Signer after rotation = %v, %v; want %s", s, err, k3.Fingerprint)
		}
		list, _ := keys.List(t.Context())
		if len(list) != 2 || list[0].Fingerprint != k3.Fingerprint || list[1].Current() {
			t.Fatalf("List = %+v", list)
		}
		if err := keys.Drop(t.Context(), k1.Fingerprint); err != nil {
			t.Fatal(err)
		}
		if pub, _ := keys.PublicKeys(t.Context()); len(pub) != 1 {
			t.Fatalf("%d keys published after the drop, want 1", len(pub))
		}
	})
	t.Run("InFile", func(t *testing.T) {
		t.Parallel()
		pool := testdb.New(t)
		st := store.New(pool)
		file := filepath.Join(t.TempDir(), "record.key")
		keys := service.NewRecordKeys(st, file, "http://127.0.0.1:8080", time.Now, slog.New(slog.DiscardHandler))
		k1, err := keys.Ensure(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(file)
		if err != nil || fi.Mode().Perm() != 0o600 || !k1.InFile {
			t.Fatalf("key file: %v, %v; InFile %v", fi, err, k1.InFile)
		}
		var priv []byte
		if err := pool.QueryRow(t.Context(), `SELECT private_key FROM record_keys`).Scan(&priv); err != nil || priv != nil {
			t.Fatalf("the database holds the file's private key: %v", err)
		}
		k2, err := keys.Rotate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		s, err := keys.Signer(t.Context())
		if err != nil || ssh.FingerprintSHA256(s.Key.PublicKey()) != k2.Fingerprint {
			t.Fatalf("Signer after rotation = %v; want the file's new key %s", err, k2.Fingerprint)
		}
		b, _ := keys.AllowedSigners(t.Context())
		if strings.Count(string(b), "ssh-ed25519 ") != 2 {
			t.Fatalf("published:\n%s", b)
		}
	})
}
