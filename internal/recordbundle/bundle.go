package recordbundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Namespace is the SSH signature namespace of every record: a signature
// made for anything else never verifies as a record (ssh-keygen -n).
const Namespace = "cmcoord-record"

// Hash is the signature's hash algorithm.
const Hash = sshsig.HashSHA512

// The bundle's files.
const (
	FileHTML        = "record.html"
	FileJSON        = "record.json"
	FileEvents      = "events.json"
	FileAttachments = "attachments.json"
	// EventDocumentAdded is the event that records a document's SHA-256
	// in the chain (domain.EventAttachmentAdded).
	EventDocumentAdded = domain.EventAttachmentAdded
	FileAllowedSigners = "allowed_signers"
	FileVerify         = "VERIFY.txt"
	FileManifest       = "MANIFEST.sha256"
	FileSignature      = "MANIFEST.sha256.sig"
	// DirFiles holds the attachments' files when the bundle carries them.
	DirFiles = "files/"
)

// TimeFormat is how events.json writes an event's time: the form its
// hash covers (domain.Event.ComputeHash).
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Event is one event of events.json: what its hash covers, as the
// reader of the bundle may see it. Verifies is true when Payload is the
// payload as stored (its hash recomputes); false when it was redacted
// for this reader, whose chain then still links by PrevHash and Hash.
type Event struct {
	Seq       int             `json:"seq"`
	RequestID int64           `json:"request_id"`
	ActorID   int64           `json:"actor_id"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	At        string          `json:"at"`
	Payload   json.RawMessage `json:"payload"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
	Verifies  bool            `json:"verifies"`
}

// Head is the last event of the chain.
type Head struct {
	Seq  int    `json:"seq"`
	Hash string `json:"hash"`
}

// Events is events.json.
type Events struct {
	Reference string  `json:"reference"`
	RequestID int64   `json:"request_id"`
	Events    []Event `json:"events"`
	Head      Head    `json:"head"`
}

// Attachment is one document of attachments.json.
type Attachment struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind"`
	Title         string     `json:"title"`
	Filename      string     `json:"filename"`
	ContentType   string     `json:"content_type"`
	Size          int64      `json:"size"`
	SHA256        string     `json:"sha256"`
	Visibility    string     `json:"visibility"`
	AddedBy       string     `json:"added_by"`
	AddedAt       time.Time  `json:"added_at"`
	RemovedAt     *time.Time `json:"removed_at,omitempty"`
	RemovalReason string     `json:"removal_reason,omitempty"`
	PurgedAt      *time.Time `json:"purged_at,omitempty"`
	// File is the path of its content in the bundle (files/…), when the
	// bundle carries it.
	File string `json:"file,omitempty"`
}

// File is an attachment's content to carry under files/.
type File struct {
	Name string // below files/, without a slash
	// WriteTo streams the content.
	WriteTo func(w io.Writer) error
}

// Contents is what a bundle holds, as its reader may see it.
type Contents struct {
	Reference string
	RequestID int64
	// HTML is the printable record page, self-contained.
	HTML []byte
	// Record is the same content as JSON (record.json).
	Record any
	// Events are the request's events in order, as the reader sees them.
	Events      []domain.Event
	Attachments []Attachment
	Files       []File
}

// Signer signs a bundle's manifest.
type Signer struct {
	Key ssh.Signer
	// Principal names the signer in allowed_signers (records@host).
	Principal string
	// KeysURL is where the instance publishes its keys (the well-known
	// URL); VERIFY.txt tells the reader to trust that list, not the copy.
	KeysURL string
}

// AllowedSignersLine is key's line of an allowed_signers file for
// principal, limited to the records' namespace.
func AllowedSignersLine(principal string, key ssh.PublicKey, comment string) string {
	line := principal + ` namespaces="` + Namespace + `" ` + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	if comment != "" {
		line += " " + comment
	}
	return line
}

// EventsOf is events.json for c.
func EventsOf(c Contents) Events {
	out := Events{Reference: c.Reference, RequestID: c.RequestID, Events: make([]Event, 0, len(c.Events))}
	for _, e := range c.Events {
		p := e.Payload
		if len(p) == 0 {
			p = []byte("{}")
		}
		out.Events = append(out.Events, Event{Seq: e.Seq, RequestID: e.RequestID, ActorID: e.ActorID, Actor: e.ActorName,
			Action: e.Action, At: e.At.UTC().Format(TimeFormat), Payload: p,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
			Verifies: bytes.Equal(e.ComputeHash(), e.Hash)})
	}
	if n := len(c.Events); n > 0 {
		out.Head = Head{Seq: c.Events[n-1].Seq, Hash: hex.EncodeToString(c.Events[n-1].Hash)}
	}
	return out
}

// marshal is indented JSON without HTML escaping: payloads keep the
// bytes their hash covers.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("recordbundle: %w", err)
	}
	return buf.Bytes(), nil
}

// marshalEvents writes events.json one event a line: indenting would
// re-indent the payloads, whose exact bytes their hash covers.
func marshalEvents(ev Events) ([]byte, error) {
	compact := func(v any) ([]byte, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("recordbundle: %w", err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	var out bytes.Buffer
	out.WriteString("{\n")
	for _, f := range []struct {
		key string
		v   any
	}{{"reference", ev.Reference}, {"request_id", ev.RequestID}, {"head", ev.Head}} {
		b, err := compact(f.v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&out, "  %q: %s,\n", f.key, b)
	}
	out.WriteString("  \"events\": [")
	for i, e := range ev.Events {
		b, err := compact(e)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out.WriteString(",")
		}
		out.WriteString("\n    ")
		out.Write(b)
	}
	out.WriteString("\n  ]\n}\n")
	return out.Bytes(), nil
}

// Write writes c as a signed ZIP bundle to w. Every file is hashed as it
// is written; the manifest and its signature come last. The attachments'
// files, when given, are streamed.
func Write(w io.Writer, c Contents, s Signer) error {
	if s.Key == nil {
		return errors.New("recordbundle: no signing key")
	}
	recordJSON, err := marshal(c.Record)
	if err != nil {
		return err
	}
	eventsJSON, err := marshalEvents(EventsOf(c))
	if err != nil {
		return err
	}
	atts := c.Attachments
	if atts == nil {
		atts = []Attachment{}
	}
	attsJSON, err := marshal(atts)
	if err != nil {
		return err
	}
	signers := "# The key this bundle was signed with. Trust the list the instance publishes\n# (" + s.KeysURL + "), not this copy.\n" +
		AllowedSignersLine(s.Principal, s.Key.PublicKey(), "") + "\n"
	z := zip.NewWriter(w)
	var manifest bytes.Buffer
	add := func(name string, write func(io.Writer) error) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
		if err != nil {
			return fmt.Errorf("recordbundle: %s: %w", name, err)
		}
		h := sha256.New()
		if err := write(io.MultiWriter(f, h)); err != nil {
			return fmt.Errorf("recordbundle: %s: %w", name, err)
		}
		if name != FileManifest && name != FileSignature {
			fmt.Fprintf(&manifest, "%x  %s\n", h.Sum(nil), name)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		body []byte
	}{
		{FileHTML, c.HTML}, {FileJSON, recordJSON}, {FileEvents, eventsJSON}, {FileAttachments, attsJSON},
		{FileAllowedSigners, []byte(signers)}, {FileVerify, []byte(verifyText(s))},
	} {
		if err := add(f.name, bytesOf(f.body)); err != nil {
			return err
		}
	}
	for _, f := range c.Files {
		if !safeName(f.Name) || strings.Contains(f.Name, "/") {
			return fmt.Errorf("recordbundle: unsafe file name %q", f.Name)
		}
		if err := add(DirFiles+f.Name, f.WriteTo); err != nil {
			return err
		}
	}
	sig, err := sshsig.Sign(bytes.NewReader(manifest.Bytes()), s.Key, Hash, Namespace)
	if err != nil {
		return fmt.Errorf("recordbundle: sign: %w", err)
	}
	if err := add(FileManifest, bytesOf(manifest.Bytes())); err != nil {
		return err
	}
	if err := add(FileSignature, bytesOf(sshsig.Armor(sig))); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("recordbundle: %w", err)
	}
	return nil
}

func bytesOf(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

// safeName reports whether name may be a file of a bundle: relative,
// without "..", backslashes or control characters.
func safeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func verifyText(s Signer) string {
	return `How to verify this decision record without cmcoord
===================================================

This archive is a decision record signed by a cmcoord instance. Its
signature covers MANIFEST.sha256, which lists the SHA-256 of every
other file. Stock tools check both (OpenSSH 8.1 or newer, coreutils):

1. Unzip the archive into an empty directory and go there:

     unzip RECORD.zip -d record && cd record

2. Fetch the instance's published keys - the only trustworthy list;
   the copy in this archive (allowed_signers) only says which key signed:

     curl -fsS ` + s.KeysURL + ` > published_signers

3. Check the signature of the manifest:

     ssh-keygen -Y verify -f published_signers -I ` + s.Principal + ` \
       -n ` + Namespace + ` -s ` + FileSignature + ` < ` + FileManifest + `

   It prints "Good \"` + Namespace + `\" signature for ` + s.Principal + `".

4. Check every file against the manifest:

     sha256sum -c ` + FileManifest + `

   Every line must say OK, and no file may be present that the
   manifest does not list (except ` + FileManifest + ` and ` + FileSignature + `).

events.json holds the request's audit events with their hash chain:
each event's prev_hash is the previous event's hash; "verifies": true
means its payload is shown as stored and its hash recomputes; false
means part of it was withheld from this reader. "head" is the last
event's hash, which cmcoord's own audit pages show.

cmcoord also checks a bundle: cmcoord record verify RECORD.zip
`
}
