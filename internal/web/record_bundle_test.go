package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/recordbundle"
	"github.com/cmcoord/cmcoord/internal/sysdeps"
)

// stockTool returns the path of a stock verifier (ssh-keygen, sha256sum),
// installing Debian's package when root and missing; never a skip.
func stockTool(t *testing.T, name, debPackage string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if !sysdeps.IsRoot() {
		t.Fatalf("%s is missing: install it (Debian: sudo apt-get install -y %s)", name, debPackage)
	}
	if err := sysdeps.AptInstall(t.Context(), io.Discard, debPackage); err != nil {
		t.Fatalf("install %s: %v", debPackage, err)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("after installing %s: %v", debPackage, err)
	}
	return p
}

// unzipTo extracts the bundle b into a new directory.
func unzipTo(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sshVerify runs the stock `ssh-keygen -Y verify` on the bundle unzipped
// in dir with the published signers; it returns its output and success.
func sshVerify(t *testing.T, dir, signers string) (string, bool) {
	t.Helper()
	keys := filepath.Join(t.TempDir(), "published_signers")
	if err := os.WriteFile(keys, []byte(signers), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.Open(filepath.Join(dir, recordbundle.FileManifest))
	if err != nil {
		t.Fatal(err)
	}
	defer manifest.Close()
	cmd := exec.Command(stockTool(t, "ssh-keygen", "openssh-client"), "-Y", "verify", "-f", keys,
		"-I", "records@records.test", "-n", recordbundle.Namespace, "-s", filepath.Join(dir, recordbundle.FileSignature))
	cmd.Stdin = manifest
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func sha256Check(t *testing.T, dir string) (string, bool) {
	t.Helper()
	cmd := exec.Command(stockTool(t, "sha256sum", "coreutils"), "-c", "--strict", recordbundle.FileManifest)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestRecordBundle: the signed record of a real request, downloaded
// through its route, verifies with the stock tools against the keys the
// well-known URL publishes; a byte changed in the record fails
// sha256sum, a changed manifest fails ssh-keygen; after a key rotation
// the old bundle still verifies with the newly published list.
func TestRecordBundle(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := approvedForExtension(t, w)
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	officer := w.mustActor(t, w.officerUser)
	pdf := "%PDF-1.4\n% the consent letter\n"
	att, err := w.attach.Add(t.Context(), officer, r.ID, domain.AttachmentInput{Kind: domain.KindConsentLetter,
		Title: "Consent", Filename: "consent.pdf", Visibility: domain.VisibleToAll}, strings.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	d := doc(t, w.get(t, w.requester, page))
	if testid(d, "record-bundle-link").AttrOr("href", "") != page+"/record/bundle" {
		t.Error("the request page does not link to its signed record")
	}
	if testid(d, "record-keys-link").AttrOr("href", "") != "/.well-known/cmcoord-record-keys" {
		t.Error("the request page does not link to the published keys")
	}

	resp := w.get(t, w.officer, page+"/record/bundle")
	wantStatus(t, resp, http.StatusOK)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+r.Reference+`-record.zip"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	bundle := []byte(resp.body)
	keysResp := w.get(t, w.client(t), "/.well-known/cmcoord-record-keys")
	wantStatus(t, keysResp, http.StatusOK)
	if ct := keysResp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("keys Content-Type = %q", ct)
	}
	signers := keysResp.body

	dir := unzipTo(t, bundle)
	if out, ok := sshVerify(t, dir, signers); !ok {
		t.Fatalf("ssh-keygen -Y verify refused a fresh bundle:\n%s", out)
	}
	if out, ok := sha256Check(t, dir); !ok {
		t.Fatalf("sha256sum -c refused a fresh bundle:\n%s", out)
	}
	html, _ := os.ReadFile(filepath.Join(dir, recordbundle.FileHTML))
	for _, bad := range []string{"<script", "<form", `rel="stylesheet"`} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("record.html holds %q: not self-contained", bad)
		}
	}
	if !bytes.Contains(html, []byte("<style>")) || !bytes.Contains(html, []byte(r.Reference)) {
		t.Error("record.html lacks its inline style or the reference")
	}

	var atts []recordbundle.Attachment
	b, _ := os.ReadFile(filepath.Join(dir, recordbundle.FileAttachments))
	if err := json.Unmarshal(b, &atts); err != nil || len(atts) != 1 || atts[0].ID != att.ID || atts[0].SHA256 != att.HashHex() {
		t.Errorf("attachments.json = %s (%v), want document %d with its hash", b, err, att.ID)
	}

	t.Run("WithFiles", func(t *testing.T) {
		resp := w.get(t, w.officer, page+"/record/bundle?files=1")
		wantStatus(t, resp, http.StatusOK)
		dir := unzipTo(t, []byte(resp.body))
		if got, _ := os.ReadFile(filepath.Join(dir, "files", strconv.FormatInt(att.ID, 10)+"-consent.pdf")); string(got) != pdf {
			t.Fatalf("files/ holds %q, want the document", got)
		}
		if out, ok := sha256Check(t, dir); !ok || !strings.Contains(out, "consent.pdf: OK") {
			t.Fatalf("sha256sum -c on a bundle with files:\n%s", out)
		}
		if out, ok := sshVerify(t, dir, signers); !ok {
			t.Fatalf("ssh-keygen -Y verify on a bundle with files:\n%s", out)
		}
	})
	t.Run("ByteOfRecordChanged", func(t *testing.T) {
		dir := unzipTo(t, bundle)
		p := filepath.Join(dir, recordbundle.FileHTML)
		b, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.Replace(b, []byte(r.Reference), []byte(r.Reference+"X"), 1), 0o644)
		if out, ok := sha256Check(t, dir); ok || !strings.Contains(out, "record.html: FAILED") {
			t.Fatalf("sha256sum -c accepted a changed record:\n%s", out)
		}
	})
	t.Run("ManifestChanged", func(t *testing.T) {
		dir := unzipTo(t, bundle)
		p := filepath.Join(dir, recordbundle.FileManifest)
		b, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.Replace(b, []byte("record.html"), []byte("record.htm "), 1), 0o644)
		if out, ok := sshVerify(t, dir, signers); ok {
			t.Fatalf("ssh-keygen accepted a changed manifest:\n%s", out)
		}
	})
	t.Run("AfterRotation", func(t *testing.T) {
		if _, err := w.recordKeys.Rotate(t.Context()); err != nil {
			t.Fatal(err)
		}
		newSigners := w.get(t, w.client(t), "/.well-known/cmcoord-record-keys").body
		if newSigners == signers || !strings.Contains(newSigners, "# retired") {
			t.Fatalf("the published list after rotation:\n%s", newSigners)
		}
		if out, ok := sshVerify(t, unzipTo(t, bundle), newSigners); !ok {
			t.Fatalf("the bundle signed before the rotation no longer verifies:\n%s", out)
		}
		// A new bundle is signed with the new key, and verifies too.
		fresh := []byte(w.get(t, w.officer, page+"/record/bundle").body)
		if out, ok := sshVerify(t, unzipTo(t, fresh), newSigners); !ok {
			t.Fatalf("a bundle after rotation does not verify:\n%s", out)
		}
		keys, _ := recordbundle.ParseAllowedSigners([]byte(newSigners))
		if _, err := recordbundle.Verify(bytes.NewReader(fresh), int64(len(fresh)), keys); err != nil {
			t.Fatal(err)
		}
		// Signed with a key no longer published: refused.
		if _, err := recordbundle.Verify(bytes.NewReader(fresh), int64(len(fresh)), keys[1:]); err == nil {
			t.Fatal("a bundle verified without its key in the list")
		}
	})

	// Who may not read the record gets no bundle.
	wantStatus(t, w.get(t, w.other, page+"/record/bundle"), http.StatusNotFound)
}

// TestRecordBundleAsReaderSees: the requester's bundle holds the events
// as the requester's record page shows them (the same service call), and
// its "verifies" flags say which were withheld.
func TestRecordBundleAsReaderSees(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := approvedForExtension(t, w)
	// A document for the officers and the HC only.
	if _, err := w.attach.Add(t.Context(), w.mustActor(t, w.officerUser), r.ID, domain.AttachmentInput{Kind: domain.KindSecurityAssessment,
		Title: "Security", Filename: "security.pdf", Visibility: domain.VisibleToOfficerHC}, strings.NewReader("%PDF-1.4\n")); err != nil {
		t.Fatal(err)
	}
	resp := w.get(t, w.requester, "/requests/"+strconv.FormatInt(r.ID, 10)+"/record/bundle")
	wantStatus(t, resp, http.StatusOK)
	z, err := zip.NewReader(strings.NewReader(resp.body), int64(len(resp.body)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := z.Open(recordbundle.FileEvents)
	if err != nil {
		t.Fatal(err)
	}
	var got recordbundle.Events
	if err := json.NewDecoder(rc).Decode(&got); err != nil {
		t.Fatal(err)
	}
	rc, _ = z.Open(recordbundle.FileAttachments)
	if b, _ := io.ReadAll(rc); strings.Contains(string(b), "security.pdf") {
		t.Errorf("the requester's attachments.json lists the officers' document: %s", b)
	}
	p, err := w.reqs.Page(t.Context(), w.requesterActor, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := recordbundle.EventsOf(recordbundle.Contents{Reference: r.Reference, RequestID: r.ID, Events: p.Events})
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	if !bytes.Equal(wb, gb) {
		t.Fatalf("events.json differs from the requester's page:\n got %s\nwant %s", gb, wb)
	}
	if len(got.Events) == 0 || got.Head.Hash == "" {
		t.Fatal("no events in the bundle")
	}
	// The officers' document's event is withheld in part from the
	// requester: it shows, but does not recompute.
	for _, e := range got.Events {
		if e.Action == domain.EventAttachmentAdded && (e.Verifies || strings.Contains(string(e.Payload), "security.pdf")) {
			t.Errorf("the requester sees the restricted document's event whole: %s", e.Payload)
		}
	}
}
