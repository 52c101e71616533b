package recordbundle

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Report is what a verified bundle holds.
type Report struct {
	// Fingerprint is the signing key's SHA256 fingerprint.
	Fingerprint string
	Reference   string
	RequestID   int64
	Head        Head
	Events      int
	Files       []string // every file the manifest covers, in its order
}

// Failure is a bundle that does not verify: every difference found.
type Failure struct {
	Problems []string
}

func (f *Failure) Error() string {
	return "recordbundle: not verified: " + strings.Join(f.Problems, "; ")
}

// maxFile bounds what Verify reads of one file (attachments included).
const maxFile = 1 << 30

var manifestLine = regexp.MustCompile(`^([0-9a-f]{64})  (.+)$`)

// Verify checks the bundle in r (size bytes) against keys, the
// instance's published keys: the manifest's signature by one of them in
// the records' namespace, every file's hash, that no file lies outside
// the manifest, and the event chain (sequence, links, the hash of every
// event shown as stored, the head). A bundle that does not verify
// returns a *Failure naming every difference; an unreadable one another
// error.
func Verify(r io.ReaderAt, size int64, keys []ssh.PublicKey) (Report, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return Report{}, fmt.Errorf("recordbundle: not a ZIP archive: %w", err)
	}
	var rep Report
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	files := map[string]*zip.File{}
	for _, f := range z.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if !safeName(f.Name) {
			fail("unsafe file name %q", f.Name)
			continue
		}
		if files[f.Name] != nil {
			fail("%s appears twice", f.Name)
		}
		files[f.Name] = f
	}
	read := func(name string) ([]byte, bool) {
		f := files[name]
		if f == nil {
			fail("%s is missing", name)
			return nil, false
		}
		rc, err := f.Open()
		if err != nil {
			fail("%s: %v", name, err)
			return nil, false
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxFile+1))
		if err != nil || len(b) > maxFile {
			fail("%s: unreadable or too large", name)
			return nil, false
		}
		return b, true
	}
	manifest, okM := read(FileManifest)
	armored, okS := read(FileSignature)
	if !okM || !okS {
		return rep, &Failure{problems}
	}
	// The signature first: nothing else means anything without it.
	if sig, err := sshsig.Unarmor(armored); err != nil {
		fail("%s: %v", FileSignature, err)
	} else if key := findKey(keys, sig.PublicKey); key == nil {
		fail("signed by %s, which is not among the instance's keys", ssh.FingerprintSHA256(sig.PublicKey))
	} else if err := sshsig.Verify(bytes.NewReader(manifest), sig, key, Hash, Namespace); err != nil {
		fail("the signature of %s does not verify with %s: %v", FileManifest, ssh.FingerprintSHA256(key), err)
	} else {
		rep.Fingerprint = ssh.FingerprintSHA256(key)
	}
	listed := map[string]bool{FileManifest: true, FileSignature: true}
	hashes := map[string]string{} // by file, as the manifest gives them
	sc := bufio.NewScanner(bytes.NewReader(manifest))
	for sc.Scan() {
		m := manifestLine.FindStringSubmatch(sc.Text())
		if m == nil {
			fail("%s: malformed line %q", FileManifest, sc.Text())
			continue
		}
		name := m[2]
		if listed[name] {
			fail("%s lists %s twice", FileManifest, name)
			continue
		}
		listed[name] = true
		hashes[name] = m[1]
		rep.Files = append(rep.Files, name)
		b, ok := read(name)
		if !ok {
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != m[1] {
			fail("%s differs from its hash in %s", name, FileManifest)
		}
	}
	for _, f := range z.File {
		if !f.FileInfo().IsDir() && !listed[f.Name] {
			fail("%s is not in %s", f.Name, FileManifest)
		}
	}
	for _, name := range []string{FileHTML, FileJSON, FileEvents, FileAttachments} {
		if !listed[name] {
			fail("%s does not list %s", FileManifest, name)
		}
	}
	var ev Events
	if b, ok := read(FileEvents); ok {
		if err := json.Unmarshal(b, &ev); err != nil {
			fail("%s: %v", FileEvents, err)
		} else {
			rep.Reference, rep.RequestID, rep.Head, rep.Events = ev.Reference, ev.RequestID, ev.Head, len(ev.Events)
			problems = append(problems, ChainProblems(ev)...)
		}
	}
	// A document's file carried in the bundle is the document recorded:
	// its hash is the one the request's chain recorded (attachments.json).
	if b, ok := read(FileAttachments); ok {
		var docs []Attachment
		if err := json.Unmarshal(b, &docs); err != nil {
			fail("%s: %v", FileAttachments, err)
		}
		// Each document is the one its event recorded in the chain.
		recorded := map[int64]string{}
		for _, e := range ev.Events {
			var p struct {
				ID     int64  `json:"attachment_id"`
				SHA256 string `json:"sha256"`
			}
			if e.Action == EventDocumentAdded && e.Verifies && json.Unmarshal(e.Payload, &p) == nil {
				recorded[p.ID] = p.SHA256
			}
		}
		for _, d := range docs {
			if h, ok := recorded[d.ID]; !ok {
				fail("%s: document %d has no event of the chain recording it", FileAttachments, d.ID)
			} else if h != d.SHA256 {
				fail("%s: document %d's SHA-256 %s is not the one its event recorded, %s", FileAttachments, d.ID, d.SHA256, h)
			}
			if d.File == "" {
				continue
			}
			if got, ok := hashes[d.File]; !ok {
				fail("%s names %s, which is not in %s", FileAttachments, d.File, FileManifest)
			} else if got != d.SHA256 {
				fail("%s is not document %d as recorded: SHA-256 %s, recorded %s", d.File, d.ID, got, d.SHA256)
			}
		}
	}
	if len(problems) > 0 {
		return rep, &Failure{problems}
	}
	return rep, nil
}

func findKey(keys []ssh.PublicKey, k ssh.PublicKey) ssh.PublicKey {
	for _, key := range keys {
		if bytes.Equal(key.Marshal(), k.Marshal()) {
			return key
		}
	}
	return nil
}

// ChainProblems checks the chain of ev: sequence from 1 without gaps,
// each prev_hash the previous hash, each hash of an event shown as
// stored recomputed, and the head the last event.
func ChainProblems(ev Events) []string {
	var problems []string
	var prev []byte
	for i, e := range ev.Events {
		if e.Seq != i+1 {
			problems = append(problems, fmt.Sprintf("event %d: sequence %d, want %d", i+1, e.Seq, i+1))
		}
		if e.RequestID != ev.RequestID {
			problems = append(problems, fmt.Sprintf("event %d: of request %d, not %d", e.Seq, e.RequestID, ev.RequestID))
		}
		ph, err1 := hex.DecodeString(e.PrevHash)
		h, err2 := hex.DecodeString(e.Hash)
		if err1 != nil || err2 != nil || len(h) != sha256.Size {
			problems = append(problems, fmt.Sprintf("event %d: malformed hash", e.Seq))
			prev = h
			continue
		}
		if !bytes.Equal(ph, prev) {
			problems = append(problems, fmt.Sprintf("event %d: prev_hash is not event %d's hash", e.Seq, e.Seq-1))
		}
		if e.Verifies {
			at, err := time.Parse(TimeFormat, e.At)
			if err != nil {
				problems = append(problems, fmt.Sprintf("event %d: time %q: %v", e.Seq, e.At, err))
			} else {
				de := domain.Event{RequestID: e.RequestID, Seq: e.Seq, ActorID: e.ActorID, Action: e.Action,
					At: at, PrevHash: ph, Payload: e.Payload}
				if !bytes.Equal(de.ComputeHash(), h) {
					problems = append(problems, fmt.Sprintf("event %d: its content does not give its hash", e.Seq))
				}
			}
		}
		prev = h
	}
	want := Head{}
	if n := len(ev.Events); n > 0 {
		want = Head{Seq: ev.Events[n-1].Seq, Hash: ev.Events[n-1].Hash}
	}
	if ev.Head != want {
		problems = append(problems, fmt.Sprintf("head is %d %s, the last event is %d %s", ev.Head.Seq, ev.Head.Hash, want.Seq, want.Hash))
	}
	return problems
}

// ParseAllowedSigners reads the keys of an allowed_signers file (lines
// "principal [options] keytype base64 [comment]"; # starts a comment).
func ParseAllowedSigners(b []byte) ([]ssh.PublicKey, error) {
	var keys []ssh.PublicKey
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The key starts at its type: skip the principal and options
		// (options may quote spaces, but never hold a key type's name
		// followed by a space).
		i := strings.Index(line, " ssh-")
		if j := strings.Index(line, " ecdsa-"); i < 0 || (j >= 0 && j < i) {
			i = j
		}
		if j := strings.Index(line, " sk-"); i < 0 || (j >= 0 && j < i) {
			i = j
		}
		if i < 0 {
			return nil, fmt.Errorf("allowed signers line %d: no key", n)
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line[i+1:]))
		if err != nil {
			return nil, fmt.Errorf("allowed signers line %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	return keys, sc.Err()
}
