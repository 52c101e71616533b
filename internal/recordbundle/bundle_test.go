package recordbundle_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/recordbundle"
)

func newKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// chain is three events of request 7, hashed as the store would.
func chain(t *testing.T) []domain.Event {
	t.Helper()
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	var out []domain.Event
	var prev []byte
	for i, p := range []string{`{"title":"Helicopter <airlift> & fuel"}`, `{"reason":"ok"}`,
		`{"attachment_id":1,"sha256":"` + pdfHash + `","visibility":"everyone"}`} {
		action := "request.step"
		if i == 2 { // the document the bundle carries, recorded in the chain
			action = domain.EventAttachmentAdded
		}
		e := domain.Event{ID: int64(i + 1), RequestID: 7, Seq: i + 1, ActorID: 3, ActorName: "Ana", Action: action,
			Payload: []byte(p), At: at.Add(time.Duration(i) * time.Minute), PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func bundle(t *testing.T, key ssh.Signer, c recordbundle.Contents) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := recordbundle.Write(&buf, c, recordbundle.Signer{Key: key, Principal: "records@example.org",
		KeysURL: "https://example.org/.well-known/cmcoord-record-keys"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func contents(t *testing.T) recordbundle.Contents {
	events := chain(t)
	// The second event as a reader without the right to its payload sees it.
	events[1].Payload = []byte(`{"reason":"[withheld]"}`)
	return recordbundle.Contents{Reference: "RFA-7", RequestID: 7, HTML: []byte("<!DOCTYPE html><p>record</p>"),
		Record: map[string]any{"reference": "RFA-7"}, Events: events,
		Attachments: []recordbundle.Attachment{{ID: 1, Title: "Map", SHA256: pdfHash, File: recordbundle.DirFiles + "1-map.pdf"}},
		Files: []recordbundle.File{{Name: "1-map.pdf", WriteTo: func(w io.Writer) error {
			_, err := io.WriteString(w, "%PDF-1.4")
			return err
		}}}}
}

// pdfHash is the SHA-256 of the file contents carries ("%PDF-1.4").
const pdfHash = "e16fa5d9b51928755db85b917f0297babaf22c7a47e97d9212adab56e61ba04e"

// TestRefusedRecordNotAsChained: attachments.json saying another SHA-256
// than the chain's event (a record edited behind cmcoord's back, file
// and row alike) is refused, though every file matches the manifest.
func TestRefusedRecordNotAsChained(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	c := contents(t)
	c.Attachments[0].File = ""
	c.Attachments[0].SHA256 = strings.Repeat("cd", 32)
	_, err := verify(bundle(t, key, c), key.PublicKey())
	if err == nil || !strings.Contains(err.Error(), "is not the one its event recorded") {
		t.Fatalf("Verify = %v, want the record refused", err)
	}
}

// TestRefusedFileNotAsRecorded: a file the bundle carries whose content
// is not the document recorded — its stored copy changed behind
// cmcoord's back — is refused, however consistent the manifest.
func TestRefusedFileNotAsRecorded(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	c := contents(t)
	c.Attachments[0].SHA256 = strings.Repeat("ab", 32)
	_, err := verify(bundle(t, key, c), key.PublicKey())
	if err == nil || !strings.Contains(err.Error(), "is not document 1 as recorded") {
		t.Fatalf("Verify = %v, want the file refused", err)
	}
}

// rewrite copies the ZIP b, letting edit change (or drop, returning
// nil) each file's bytes, and adding extra files.
func rewrite(t *testing.T, b []byte, edit func(name string, body []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if body = edit(f.Name, body); body == nil {
			continue
		}
		fw, _ := w.Create(f.Name)
		fw.Write(body)
	}
	for name, body := range extra {
		fw, _ := w.Create(name)
		fw.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func verify(b []byte, keys ...ssh.PublicKey) (recordbundle.Report, error) {
	return recordbundle.Verify(bytes.NewReader(b), int64(len(b)), keys)
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	b := bundle(t, key, contents(t))
	rep, err := verify(b, newKey(t).PublicKey(), key.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fingerprint != ssh.FingerprintSHA256(key.PublicKey()) || rep.Reference != "RFA-7" || rep.Head.Seq != 3 || rep.Events != 3 {
		t.Fatalf("Report = %+v", rep)
	}
	if !strings.Contains(strings.Join(rep.Files, " "), "files/1-map.pdf") {
		t.Fatalf("Files = %v, want files/1-map.pdf", rep.Files)
	}
	ev := recordbundle.EventsOf(contents(t))
	for i, want := range []bool{true, false, true} {
		if ev.Events[i].Verifies != want {
			t.Fatalf("event %d Verifies = %v, want %v", i+1, ev.Events[i].Verifies, want)
		}
	}
	// The allowed_signers copy parses back to the signing key.
	z, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	rc, _ := z.Open(recordbundle.FileAllowedSigners)
	signers, _ := io.ReadAll(rc)
	keys, err := recordbundle.ParseAllowedSigners(signers)
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Marshal(), key.PublicKey().Marshal()) {
		t.Fatalf("ParseAllowedSigners = %v, %v", keys, err)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	good := bundle(t, key, contents(t))
	edit := func(target string, f func([]byte) []byte) func(string, []byte) []byte {
		return func(name string, body []byte) []byte {
			if name == target {
				return f(body)
			}
			return body
		}
	}
	other := newKey(t)
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"ByteOfHTML": {rewrite(t, good, edit(recordbundle.FileHTML, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-2] ^= 1
			return b
		}), nil), "record.html differs"},
		"EventsEdited": {rewrite(t, good, edit(recordbundle.FileEvents, func(b []byte) []byte {
			return bytes.Replace(b, []byte("Ana"), []byte("Bob"), 1)
		}), nil), "events.json differs"},
		"FileAdded":      {rewrite(t, good, func(_ string, b []byte) []byte { return b }, map[string]string{"files/extra.txt": "x"}), "files/extra.txt is not in MANIFEST.sha256"},
		"FileRemoved":    {rewrite(t, good, edit("files/1-map.pdf", func([]byte) []byte { return nil }), nil), "files/1-map.pdf is missing"},
		"ManifestEdited": {rewrite(t, good, edit(recordbundle.FileManifest, func(b []byte) []byte { return append(bytes.Clone(b), "\n"...) }), nil), "does not verify"},
		"OtherKey":       {bundle(t, other, contents(t)), "not among the instance's keys"},
		"NoSignature":    {rewrite(t, good, edit(recordbundle.FileSignature, func([]byte) []byte { return nil }), nil), "MANIFEST.sha256.sig is missing"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := verify(tc.b, key.PublicKey())
			var f *recordbundle.Failure
			if !errors.As(err, &f) {
				t.Fatalf("Verify = %v, want a Failure", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("SignatureByOtherKeyWithItsKeyListed", func(t *testing.T) {
		t.Parallel()
		// Another key's signature spliced onto this manifest.
		sigOf := func(b []byte) []byte {
			z, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			rc, _ := z.Open(recordbundle.FileSignature)
			s, _ := io.ReadAll(rc)
			return s
		}
		c := contents(t)
		c.HTML = []byte("another record")
		spliced := rewrite(t, good, edit(recordbundle.FileSignature, func([]byte) []byte { return sigOf(bundle(t, other, c)) }), nil)
		if _, err := verify(spliced, key.PublicKey(), other.PublicKey()); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Fatalf("Verify = %v, want the signature refused", err)
		}
	})
}

func TestChainProblems(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit func(ev *recordbundle.Events)
		want string
	}{
		"PayloadEdited": {func(ev *recordbundle.Events) { ev.Events[0].Payload = []byte(`{"title":"else"}`) }, "event 1: its content does not give its hash"},
		"LinkBroken":    {func(ev *recordbundle.Events) { ev.Events[2].PrevHash = ev.Events[0].Hash }, "event 3: prev_hash"},
		"EventDropped":  {func(ev *recordbundle.Events) { ev.Events = append(ev.Events[:1], ev.Events[2:]...) }, "sequence 3, want 2"},
		"HeadWrong":     {func(ev *recordbundle.Events) { ev.Head.Seq = 2 }, "head is 2"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev := recordbundle.EventsOf(contents(t))
			if p := recordbundle.ChainProblems(ev); len(p) != 0 {
				t.Fatalf("ChainProblems before = %v", p)
			}
			tc.edit(&ev)
			if p := strings.Join(recordbundle.ChainProblems(ev), "; "); !strings.Contains(p, tc.want) {
				t.Fatalf("ChainProblems = %q, want %q", p, tc.want)
			}
		})
	}
}
