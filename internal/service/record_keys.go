package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/recordbundle"
	"github.com/cmcoord/cmcoord/internal/store"
)

// RecordKeysPath is the well-known path where an instance publishes its
// record keys as an allowed_signers file.
const RecordKeysPath = "/.well-known/cmcoord-record-keys"

// RecordKeys are the keys that sign decision records: Ed25519 SSH keys,
// one current, the retired ones still published. The private key lives
// in the database or, when configured, in a file (its public half is
// registered in the database all the same).
type RecordKeys struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
	file  string
	host  string
	base  string
}

// NewRecordKeys returns the record keys over st. file, when set, holds
// the private key (-record-key-file); baseURL names the signer
// (records@<its host>) and where the keys are published.
func NewRecordKeys(st *store.Store, file, baseURL string, now func() time.Time, log *slog.Logger) *RecordKeys {
	// The host of an http(s) address the configuration validated: after
	// the scheme, before the path and the port.
	host := baseURL
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	host, _, _ = strings.Cut(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		host = "localhost"
	}
	return &RecordKeys{store: st, now: now, log: log, file: file, host: host, base: strings.TrimRight(baseURL, "/")}
}

// Principal is the signer's name in allowed_signers: records@<host>.
func (s *RecordKeys) Principal() string { return "records@" + s.host }

// KeysURL is the address of the published keys.
func (s *RecordKeys) KeysURL() string { return s.base + RecordKeysPath }

// Ensure makes sure a current key exists (serve calls it on start): with
// a key file, the file's key (generated there, mode 0600, when missing)
// becomes the current key if it is not already; without, a key is
// generated into the database when there is none.
func (s *RecordKeys) Ensure(ctx context.Context) (domain.RecordKey, error) {
	var out domain.RecordKey
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRecordKeys(ctx); err != nil {
			return err
		}
		cur, _, err := tx.CurrentRecordKey(ctx)
		if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
			return err
		}
		if s.file == "" {
			if err == nil {
				out = cur
				return nil
			}
			out, err = s.addGenerated(ctx, tx, false)
			return err
		}
		signer, err := s.fileKey(true)
		if err != nil {
			return err
		}
		k := keyOf(signer.PublicKey())
		if cur.Fingerprint == k.Fingerprint {
			out = cur
			return nil
		}
		if err := tx.RetireRecordKeys(ctx, s.now()); err != nil {
			return err
		}
		// A file whose key the table knows already (retired): current again.
		if err := tx.MakeRecordKeyCurrent(ctx, k.Fingerprint); err == nil {
			out, _, err = tx.CurrentRecordKey(ctx)
			return err
		} else if domain.ErrorCode(err) != domain.CodeNotFound {
			return err
		}
		out, err = tx.AddRecordKey(ctx, k, nil, s.now())
		return err
	})
	if err != nil {
		return domain.RecordKey{}, fmt.Errorf("record keys: %w", err)
	}
	return out, nil
}

// Rotate retires the current key and makes a new one current: in the
// database or, with a key file, in that file (the old file is replaced).
// Records signed with the retired key still verify: it stays published.
func (s *RecordKeys) Rotate(ctx context.Context) (domain.RecordKey, error) {
	var out domain.RecordKey
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRecordKeys(ctx); err != nil {
			return err
		}
		if err := tx.RetireRecordKeys(ctx, s.now()); err != nil {
			return err
		}
		var err error
		out, err = s.addGenerated(ctx, tx, s.file != "")
		return err
	})
	if err != nil {
		return domain.RecordKey{}, fmt.Errorf("record keys: rotate: %w", err)
	}
	return out, nil
}

// Drop deletes the retired key with fingerprint from the published list:
// for a compromised key, whose signatures must no longer be trusted.
// CodeNotFound when no retired key has that fingerprint (the current
// key is rotated first).
func (s *RecordKeys) Drop(ctx context.Context, fingerprint string) error {
	return s.store.DropRecordKey(ctx, fingerprint)
}

// List returns every key, the current first.
func (s *RecordKeys) List(ctx context.Context) ([]domain.RecordKey, error) {
	return s.store.ListRecordKeys(ctx)
}

// AllowedSigners is the published list: an OpenSSH allowed_signers file
// holding every key (current first, retired ones under a comment), each
// limited to the records' namespace.
func (s *RecordKeys) AllowedSigners(ctx context.Context) ([]byte, error) {
	keys, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Keys that sign cmcoord decision records of %s (namespace %s).\n", s.host, recordbundle.Namespace)
	fmt.Fprintf(&b, "# Verify: ssh-keygen -Y verify -f THIS_FILE -I %s -n %s -s MANIFEST.sha256.sig < MANIFEST.sha256\n", s.Principal(), recordbundle.Namespace)
	for _, k := range keys {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("record keys: key %d: %w", k.ID, err)
		}
		if k.Current() {
			fmt.Fprintf(&b, "# current since %s\n", k.CreatedAt.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintf(&b, "# retired %s (signed records from %s)\n", k.RetiredAt.UTC().Format(time.RFC3339), k.CreatedAt.UTC().Format(time.RFC3339))
		}
		b.WriteString(recordbundle.AllowedSignersLine(s.Principal(), pub, "") + "\n")
	}
	return b.Bytes(), nil
}

// PublicKeys returns every published key.
func (s *RecordKeys) PublicKeys(ctx context.Context) ([]ssh.PublicKey, error) {
	b, err := s.AllowedSigners(ctx)
	if err != nil {
		return nil, err
	}
	return recordbundle.ParseAllowedSigners(b)
}

// Signer returns the current key, ready to sign a bundle. A missing key
// is made (Ensure), so a bundle never waits for a restart.
func (s *RecordKeys) Signer(ctx context.Context) (recordbundle.Signer, error) {
	k, priv, err := s.store.CurrentRecordKey(ctx)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		if _, err = s.Ensure(ctx); err == nil {
			k, priv, err = s.store.CurrentRecordKey(ctx)
		}
	}
	if err != nil {
		return recordbundle.Signer{}, fmt.Errorf("record keys: %w", err)
	}
	var signer ssh.Signer
	if priv == nil {
		signer, err = s.fileKey(false)
	} else {
		signer, err = ssh.ParsePrivateKey(priv)
	}
	if err != nil {
		return recordbundle.Signer{}, fmt.Errorf("record keys: %w", err)
	}
	if ssh.FingerprintSHA256(signer.PublicKey()) != k.Fingerprint {
		return recordbundle.Signer{}, fmt.Errorf("record keys: the key file %s does not hold the current key %s (restart to register it, or rotate)", s.file, k.Fingerprint)
	}
	return recordbundle.Signer{Key: signer, Principal: s.Principal(), KeysURL: s.KeysURL()}, nil
}

// addGenerated makes a new Ed25519 key current: stored in the database,
// or written to the key file when toFile.
func (s *RecordKeys) addGenerated(ctx context.Context, tx *store.Store, toFile bool) (domain.RecordKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return domain.RecordKey{}, err
	}
	pemBytes, err := privatePEM(priv)
	if err != nil {
		return domain.RecordKey{}, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return domain.RecordKey{}, err
	}
	k := keyOf(signer.PublicKey())
	if !toFile {
		return tx.AddRecordKey(ctx, k, pemBytes, s.now())
	}
	k, err = tx.AddRecordKey(ctx, k, nil, s.now())
	if err != nil {
		return k, err
	}
	// The file is replaced last: a failed transaction leaves the old one.
	return k, writeKeyFile(s.file, pemBytes)
}

// fileKey reads the key file; create generates it when it is missing.
func (s *RecordKeys) fileKey(create bool) (ssh.Signer, error) {
	b, err := os.ReadFile(s.file)
	if errors.Is(err, fs.ErrNotExist) && create {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, gerr
		}
		if b, err = privatePEM(priv); err == nil {
			err = writeKeyFile(s.file, b)
		}
		if err == nil {
			s.log.Info("record signing key generated", "file", s.file)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record key file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("record key file %s: %w", s.file, err)
	}
	if signer.PublicKey().Type() != ssh.KeyAlgoED25519 {
		return nil, fmt.Errorf("record key file %s: an %s key, want ssh-ed25519", s.file, signer.PublicKey().Type())
	}
	return signer, nil
}

func keyOf(pub ssh.PublicKey) domain.RecordKey {
	return domain.RecordKey{PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))), Fingerprint: ssh.FingerprintSHA256(pub)}
}

func privatePEM(priv ed25519.PrivateKey) ([]byte, error) {
	blk, err := ssh.MarshalPrivateKey(priv, "cmcoord record signing key")
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(blk), nil
}

// writeKeyFile writes a private key with mode 0600, atomically.
func writeKeyFile(name string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".record-key-*")
	if err != nil {
		return fmt.Errorf("record key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(b)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return fmt.Errorf("record key file: %w", err)
	}
	return nil
}
