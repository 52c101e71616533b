package domain

import (
	"bytes"
	"encoding/hex"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Attachments (evidence): the documents an MCDA request rests on — the
// host government's consent letter, the security risk assessment, a map,
// photos, the provider's acceptance. Who may add, see, remove and purge
// one is decided here: the rulebook's rows (ActionAttach,
// ActionRemoveAttachment, ActionPurgeAttachment) and the visibility table
// (AttachmentVisibilities), read by every face and channel (the request
// page, the API, the audit trail's events, the exports, the signed
// decision record).

// AttachmentKind says what a document is.
type AttachmentKind string

// Attachment kinds.
const (
	KindConsentLetter      AttachmentKind = "consent_letter"
	KindSecurityAssessment AttachmentKind = "security_assessment"
	KindMap                AttachmentKind = "map"
	KindPhoto              AttachmentKind = "photo"
	KindProviderDocument   AttachmentKind = "provider_document"
	KindOther              AttachmentKind = "other"
)

// AttachmentKinds lists every kind, in the order forms offer them.
var AttachmentKinds = []AttachmentKind{KindConsentLetter, KindSecurityAssessment, KindMap, KindPhoto,
	KindProviderDocument, KindOther}

// AttachmentVisibility says who, of those who see a request, sees one of
// its documents.
type AttachmentVisibility string

// Attachment visibilities.
const (
	// VisibleToAll: everyone who may see the request.
	VisibleToAll AttachmentVisibility = "everyone"
	// VisibleToOfficerHC: the civil-military officer and the HC only.
	VisibleToOfficerHC AttachmentVisibility = "officer_hc"
	// VisibleToHRDDP: those who may see HRDDP records (ActionViewHRDDP).
	VisibleToHRDDP AttachmentVisibility = "hrddp"
)

// AttachmentVisibilityRule is one row of the visibility table: the rule
// whose holders see a document of that visibility, and the channels that
// may carry it at all.
type AttachmentVisibilityRule struct {
	Visibility AttachmentVisibility
	// Reads is the action that decides who sees it (Can).
	Reads Action
	// Channels may carry the document, its name and its hash; the others
	// carry nothing of it (not even a count).
	Channels []Channel
}

// AttachmentVisibilities is the visibility table, from the widest to the
// narrowest.
var AttachmentVisibilities = []AttachmentVisibilityRule{
	{Visibility: VisibleToAll, Reads: ActionViewRequest, Channels: []Channel{ChannelScreen, ChannelExport}},
	{Visibility: VisibleToOfficerHC, Reads: ActionViewRestrictedAttachment, Channels: []Channel{ChannelScreen, ChannelExport}},
	// HRDDP records never leave the system in a file (CanSeeHRDDP).
	{Visibility: VisibleToHRDDP, Reads: ActionViewHRDDP, Channels: []Channel{ChannelScreen}},
}

// AttachmentVisibilityNames lists every visibility, widest first.
func AttachmentVisibilityNames() []AttachmentVisibility {
	out := make([]AttachmentVisibility, len(AttachmentVisibilities))
	for i, v := range AttachmentVisibilities {
		out[i] = v.Visibility
	}
	return out
}

func visibilityRule(v AttachmentVisibility) (AttachmentVisibilityRule, bool) {
	for _, r := range AttachmentVisibilities {
		if r.Visibility == v {
			return r, true
		}
	}
	return AttachmentVisibilityRule{}, false
}

// AttachmentShown reports whether a sees a document of visibility v of
// request r on channel ch: its title, file name, hash and content. An
// unknown visibility hides.
func AttachmentShown(a Actor, r RequestRef, v AttachmentVisibility, ch Channel) bool {
	rule, ok := visibilityRule(v)
	if !ok || !slices.Contains(rule.Channels, ch) {
		return false
	}
	return Can(a, rule.Reads, OnRef(r)) == nil
}

// VisibilityChoices returns the visibilities a may give a document they
// add to r: those they would see themselves, so nobody files what they
// cannot read back.
func VisibilityChoices(a Actor, r RequestRef) []AttachmentVisibility {
	var out []AttachmentVisibility
	for _, v := range AttachmentVisibilities {
		if AttachmentShown(a, r, v.Visibility, ChannelScreen) {
			out = append(out, v.Visibility)
		}
	}
	return out
}

// Attachment is one document of a request, as stored. Its content is
// kept apart (in chunks) and streamed; SHA256 is recorded in the
// request's audit chain when it is added.
type Attachment struct {
	ID          int64
	RequestID   int64
	Kind        AttachmentKind
	Title       string
	Filename    string
	ContentType string // decided by sniffing (SniffContentType), never the client's
	Size        int64
	SHA256      []byte
	Visibility  AttachmentVisibility
	// Scanned: clamd found it clean; false when no scanner is configured.
	Scanned     bool
	AddedBy     int64
	AddedByName string
	AddedByOrg  string
	AddedAt     time.Time
	// Removed: withdrawn from the request, with a reason; its content
	// stays (for the record) until purged.
	RemovedAt     time.Time
	RemovedBy     int64
	RemovedByName string
	RemovalReason string
	// Purged: its content was deleted by an administrator (data
	// protection); the row, its hash and its events stay.
	PurgedAt    time.Time
	PurgeReason string
	// RecordedSHA256 is the SHA-256 (hex) the request's hash-chained
	// trail recorded when the document was added: what its content and
	// its record must still match (Intact).
	RecordedSHA256 string
}

// Intact reports whether the document's record still holds the SHA-256
// its event recorded: a record edited behind cmcoord's back is not.
func (t Attachment) Intact() bool { return t.RecordedSHA256 != "" && t.RecordedSHA256 == t.HashHex() }

// Removed reports whether the document was withdrawn.
func (t Attachment) Removed() bool { return !t.RemovedAt.IsZero() }

// Purged reports whether its content is gone.
func (t Attachment) Purged() bool { return !t.PurgedAt.IsZero() }

// Downloadable reports whether its content is served: not removed (a
// removed document is listed, with why, and no longer offered).
func (t Attachment) Downloadable() bool { return !t.Removed() && !t.Purged() }

// HashHex is the SHA-256 in lower-case hex, as events and exports show it.
func (t Attachment) HashHex() string { return hex.EncodeToString(t.SHA256) }

// AttachmentsShown returns the documents of r that a sees on ch, in order.
func AttachmentsShown(a Actor, r RequestRef, all []Attachment, ch Channel) []Attachment {
	var out []Attachment
	for _, t := range all {
		if AttachmentShown(a, r, t.Visibility, ch) {
			out = append(out, t)
		}
	}
	return out
}

// UploadKept is how long an unfinished upload is kept for its resumption
// before housekeeping removes it.
const UploadKept = 24 * time.Hour

// DefaultMaxAttachmentSize is the default limit on one document's size
// (MAX_ATTACHMENT_SIZE).
const DefaultMaxAttachmentSize = 20 << 20

// AttachmentInput is what a person gives to add a document; the content
// comes as a stream.
type AttachmentInput struct {
	Kind       AttachmentKind
	Title      string
	Filename   string
	Visibility AttachmentVisibility
}

const (
	maxAttachmentTitle    = 200
	maxAttachmentFilename = 255
	maxRemovalReason      = 1000
)

// NormalizeAttachmentInput trims the input and reduces the file name to
// its last element; a blank title takes the file name.
func NormalizeAttachmentInput(in *AttachmentInput) {
	in.Title = strings.TrimSpace(strings.Map(noBidiControl, in.Title))
	name := strings.ReplaceAll(strings.TrimSpace(in.Filename), `\`, "/")
	name = path.Base(name)
	if name == "." || name == "/" {
		name = ""
	}
	in.Filename = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return noBidiControl(r)
	}, name))
	if in.Title == "" {
		in.Title = in.Filename
	}
}

// noBidiControl drops the Unicode bidirectional controls (overrides,
// embeddings, isolates, marks): in a file name an override makes
// "contract\u202Efdp.exe" read "contractexe.pdf". Pages isolate each
// name and title themselves (<bdi>).
func noBidiControl(r rune) rune {
	if unicode.Is(unicode.Bidi_Control, r) {
		return -1
	}
	return r
}

// ValidateAttachmentInput checks in for a, who adds it to r: a known
// kind, a title, a file name, and a visibility a may choose.
func ValidateAttachmentInput(a Actor, r RequestRef, in AttachmentInput) error {
	f := fieldErrors{}
	if !slices.Contains(AttachmentKinds, in.Kind) {
		f.add("kind", "field.choose")
	}
	checkText(f, "title", in.Title, maxAttachmentTitle, true)
	checkText(f, "file", in.Filename, maxAttachmentFilename, true)
	if !slices.Contains(VisibilityChoices(a, r), in.Visibility) {
		f.add("visibility", "field.choose")
	}
	return f.err()
}

// ValidateRemovalReason checks why a document is removed or purged.
func ValidateRemovalReason(reason string) error {
	f := fieldErrors{}
	checkText(f, "reason", strings.TrimSpace(reason), maxRemovalReason, true)
	return f.err()
}

// ValidatePurge checks an administrator's purge of a document from a
// form that asks them to confirm it: the reason (ValidateRemovalReason)
// and that they confirmed the content is deleted for good (field
// "confirm").
func ValidatePurge(reason string, confirmed bool) error {
	f := fieldErrors{}
	checkText(f, "reason", strings.TrimSpace(reason), maxRemovalReason, true)
	if !confirmed {
		f.add("confirm", "admin_documents.confirm_required")
	}
	return f.err()
}

// CanRemoveAttachment decides whether a may remove document t of r: the
// rulebook's row (ActionRemoveAttachment), then an officer any document
// they see, anyone else only one they added while they may still add.
func CanRemoveAttachment(a Actor, r RequestRef, t Attachment) error {
	if !AttachmentShown(a, r, t.Visibility, ChannelScreen) {
		if err := Can(a, ActionViewRequest, OnRef(r)); err != nil {
			return err
		}
		return Errorf(CodeNotFound, "error.not_found")
	}
	if err := Can(a, ActionRemoveAttachment, OnRef(r)); err != nil {
		return err
	}
	if t.Removed() {
		return Errorf(CodeConflict, "attachment.already_removed")
	}
	if a.RolesIn(r.OperationID).Has(RoleOfficer) {
		return nil
	}
	if t.AddedBy != a.UserID {
		return Errorf(CodeForbidden, "attachment.not_yours")
	}
	return CanAttach(a, r)
}

// CanAttach decides whether a may add a document to r now: the officer,
// the HC and HRDDP reviewers at any time (ActionAttach), the requesting
// organisation until the decision (ActionAttachAsRequester).
func CanAttach(a Actor, r RequestRef) error {
	err := Can(a, ActionAttach, OnRef(r))
	if ErrorCode(err) != CodeForbidden {
		return err
	}
	return Can(a, ActionAttachAsRequester, OnRef(r))
}

// AllowedType is one row of the allow-list: a type SniffContentType
// may name, and the file name extensions it is saved under, the usual
// one first.
type AllowedType struct {
	Type       string
	Extensions []string
}

// AllowedTypes is the allow-list of what a document may be: PDF,
// images, office documents, plain text and CSV. Nothing that a browser
// would run (HTML, SVG, XML, scripts).
var AllowedTypes = []AllowedType{
	{"application/pdf", []string{".pdf"}},
	{"image/png", []string{".png"}},
	{"image/jpeg", []string{".jpg", ".jpeg"}},
	{"image/gif", []string{".gif"}},
	{"image/webp", []string{".webp"}},
	{"image/tiff", []string{".tif", ".tiff"}},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []string{".docx"}},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []string{".xlsx"}},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation", []string{".pptx"}},
	{"application/vnd.oasis.opendocument.text", []string{".odt"}},
	{"application/vnd.oasis.opendocument.spreadsheet", []string{".ods"}},
	{"application/vnd.oasis.opendocument.presentation", []string{".odp"}},
	{"application/msword", []string{".doc"}},
	{"application/vnd.ms-excel", []string{".xls"}},
	{"application/vnd.ms-powerpoint", []string{".ppt"}},
	{"text/plain", []string{".txt", ".text", ".md"}},
	{"text/csv", []string{".csv"}},
}

// AllowedContentTypes lists the allow-list's types, in its order.
func AllowedContentTypes() []string {
	out := make([]string, len(AllowedTypes))
	for i, t := range AllowedTypes {
		out[i] = t.Type
	}
	return out
}

// extensionsOf returns the extensions contentType is saved under, or
// nil when it is not on the allow-list.
func extensionsOf(contentType string) []string {
	for _, t := range AllowedTypes {
		if t.Type == contentType {
			return t.Extensions
		}
	}
	return nil
}

// FilenameFor returns name as a document of contentType is saved: with
// an extension that type allows, the usual one added when it has none
// ("scan.html" of a PDF becomes "scan.html.pdf"), so a file opened from
// a download folder is opened as what it was checked to be.
func FilenameFor(name, contentType string) string {
	exts := extensionsOf(contentType)
	if len(exts) == 0 || slices.Contains(exts, strings.ToLower(path.Ext(name))) {
		return name
	}
	if r := []rune(name); len(r)+len(exts[0]) > maxAttachmentFilename {
		name = string(r[:maxAttachmentFilename-len(exts[0])])
	}
	return name + exts[0]
}

// SniffLen is how many leading bytes SniffContentType reads.
const SniffLen = 512

// SniffContentType names the content type of a document from its first
// bytes (up to SniffLen) and its file name, or "" when it is not on the
// allow-list. The file name only chooses between types the bytes allow
// (a ZIP's office type, CSV or plain text); it never makes bytes
// acceptable.
func SniffContentType(head []byte, filename string) string {
	ext := strings.ToLower(path.Ext(filename))
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif"
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return sniffZip(head, ext)
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")): // OLE2: legacy Office
		switch ext {
		case ".doc":
			return "application/msword"
		case ".xls":
			return "application/vnd.ms-excel"
		case ".ppt":
			return "application/vnd.ms-powerpoint"
		}
		return ""
	}
	return sniffText(head, ext)
}

// sniffZip accepts a ZIP only as an office document: OOXML begins with
// its content types (or a _rels or docProps entry) and takes its type
// from the extension; ODF begins with its stored "mimetype" entry.
func sniffZip(head []byte, ext string) string {
	const odf = "mimetypeapplication/vnd.oasis.opendocument."
	if i := bytes.Index(head, []byte(odf)); i >= 0 {
		rest := head[i+len("mimetype"):]
		for _, t := range []string{"text", "spreadsheet", "presentation"} {
			if bytes.HasPrefix(rest, []byte("application/vnd.oasis.opendocument."+t)) &&
				!bytes.HasPrefix(rest, []byte("application/vnd.oasis.opendocument."+t+"-")) {
				return "application/vnd.oasis.opendocument." + t
			}
		}
		return ""
	}
	ooxml := bytes.Contains(head, []byte("[Content_Types].xml")) || bytes.Contains(head, []byte("_rels/.rels")) ||
		bytes.Contains(head, []byte("docProps/")) || bytes.Contains(head, []byte("word/")) ||
		bytes.Contains(head, []byte("xl/")) || bytes.Contains(head, []byte("ppt/"))
	if !ooxml {
		return ""
	}
	switch ext {
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".pptx":
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	}
	return ""
}

// sniffText accepts text: valid UTF-8 (a cut last rune allowed), no NUL
// or control bytes beyond tab and line ends, and nothing a browser would
// take for markup (a leading '<' after space or a byte-order mark).
func sniffText(head []byte, ext string) string {
	if len(head) == 0 {
		return ""
	}
	body := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(body, " \t\r\n\f"); len(t) > 0 && t[0] == '<' {
		return ""
	}
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(body)-i < utf8.UTFMax && !utf8.FullRune(body[i:]) {
				break // a rune cut by the sniff window
			}
			return ""
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return ""
		}
		i += n
	}
	switch ext {
	case ".csv":
		return "text/csv"
	case ".txt", ".text", ".md", "":
		return "text/plain"
	}
	return ""
}

// AttachmentAccept lists the file name extensions a form suggests (its
// accept attribute); the server decides by sniffing.
func AttachmentAccept() string {
	var exts []string
	for _, t := range AllowedTypes {
		exts = append(exts, t.Extensions...)
	}
	return strings.Join(exts, ",")
}
