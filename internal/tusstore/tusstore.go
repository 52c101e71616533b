// Package tusstore is the tus data store (github.com/tus/tusd/v2's
// handler.DataStore) of cmcoord's resumable uploads: every tus request
// goes through service.Attachments, the one path of every document's
// bytes, as the signed-in user who sent it.
//
//	POST   (creation)     → Attachments.Begin: who may add what to which
//	                        request, the announced length; the upload's ID
//	                        is the file's ID
//	HEAD   (where am I?)  → Attachments.GetUpload: the bytes kept so far;
//	                        another user's upload is not found
//	PATCH  (bytes)        → Attachments.WriteAt: the body streamed into the
//	                        file chunk by chunk, never held whole; refused
//	                        unless the file stands at the client's offset
//	DELETE (termination)  → Attachments.Discard
//
// Finishing (Attachments.Finish) is the web face's, in tusd's
// PreFinishResponseCallback, since its answer is a page to go to or a
// refusal in the reader's language.
//
// It owns no HTTP and no SQL: it imports the service, the domain and who
// is asking (reqctx), never the store or a face.
package tusstore

import (
	"context"
	"io"
	"strconv"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/reqctx"
	"github.com/cmcoord/cmcoord/internal/service"
)

// Metadata keys a creation request sends (Upload-Metadata).
const (
	MetaRequestID  = "request_id"
	MetaKind       = "kind"
	MetaTitle      = "title"
	MetaFilename   = "filename"
	MetaVisibility = "visibility"
)

// Refuse turns what the service refused (a *domain.Error, or an internal
// error) into the error tusd answers with: a handler.Error carrying the
// status and a body for the reader.
type Refuse func(ctx context.Context, err error) error

// Store is the data store. Its methods read the actor from the context
// tusd passes them, which keeps the request's values (reqctx).
type Store struct {
	att    *service.Attachments
	refuse Refuse
}

// New returns a Store over att; refuse answers its refusals (nil: the
// errors as they are, which tusd answers with a 500).
func New(att *service.Attachments, refuse Refuse) *Store {
	if refuse == nil {
		refuse = func(_ context.Context, err error) error { return err }
	}
	return &Store{att: att, refuse: refuse}
}

// UseIn makes s the core and the terminater of composer.
func (s *Store) UseIn(composer *handler.StoreComposer) {
	composer.UseCore(s)
	composer.UseTerminater(s)
}

// NewUpload begins a document's upload from the creation request's
// metadata and announced length.
func (s *Store) NewUpload(ctx context.Context, info handler.FileInfo) (handler.Upload, error) {
	by := reqctx.Actor(ctx)
	requestID, err := strconv.ParseInt(info.MetaData[MetaRequestID], 10, 64)
	if err != nil || requestID <= 0 {
		return nil, s.refuse(ctx, domain.Errorf(domain.CodeNotFound, "error.not_found"))
	}
	expected := info.Size
	if info.SizeIsDeferred {
		expected = -1
	}
	in := domain.AttachmentInput{
		Kind:       domain.AttachmentKind(info.MetaData[MetaKind]),
		Title:      info.MetaData[MetaTitle],
		Filename:   info.MetaData[MetaFilename],
		Visibility: domain.AttachmentVisibility(info.MetaData[MetaVisibility]),
	}
	u, err := s.att.Begin(ctx, by, requestID, in, expected)
	if err != nil {
		return nil, s.refuse(ctx, err)
	}
	return &upload{s: s, by: by, u: u}, nil
}

// GetUpload returns the asker's unfinished upload id; anyone else's, a
// finished one or a made-up ID is not found.
func (s *Store) GetUpload(ctx context.Context, id string) (handler.Upload, error) {
	by := reqctx.Actor(ctx)
	fileID, err := ParseID(id)
	if err != nil {
		return nil, s.refuse(ctx, err)
	}
	u, err := s.att.GetUpload(ctx, by, fileID)
	if err != nil {
		return nil, s.refuse(ctx, err)
	}
	return &upload{s: s, by: by, u: u}, nil
}

// AsTerminatableUpload lets a client abandon its upload (DELETE).
func (s *Store) AsTerminatableUpload(u handler.Upload) handler.TerminatableUpload {
	return u.(*upload)
}

// ParseID reads an upload ID (a file's ID in decimal); anything else is
// not found.
func ParseID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return n, nil
}

// upload is one user's upload, as loaded for one tus request.
type upload struct {
	s  *Store
	by domain.Actor
	u  service.Upload
}

// GetInfo says how far the upload is: the offset is what the store
// kept, every chunk committed as it came (a cut connection keeps what
// arrived).
func (u *upload) GetInfo(context.Context) (handler.FileInfo, error) {
	id := strconv.FormatInt(u.u.FileID, 10)
	return handler.FileInfo{
		ID:             id,
		Size:           max(u.u.Expected, 0),
		SizeIsDeferred: u.u.Expected < 0,
		Offset:         u.u.Size,
		MetaData: handler.MetaData{
			MetaRequestID:  strconv.FormatInt(u.u.RequestID, 10),
			MetaKind:       string(u.u.Input.Kind),
			MetaTitle:      u.u.Input.Title,
			MetaFilename:   u.u.Input.Filename,
			MetaVisibility: string(u.u.Input.Visibility),
		},
	}, nil
}

// WriteChunk streams src into the file at offset. tusd's body reader
// hides a cut connection as the end of the body: what came is kept and
// counted, and tusd answers the cut.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	n, err := u.s.att.WriteAt(ctx, u.by, u.u.FileID, offset, src)
	u.u.Size += n
	if err != nil {
		return n, u.s.refuse(ctx, err)
	}
	return n, nil
}

// GetReader is never called: downloads go through the request page
// (handler.Config.DisableDownload).
func (u *upload) GetReader(context.Context) (io.ReadCloser, error) {
	return nil, handler.ErrNotImplemented
}

// FinishUpload does nothing: the web face finishes the document in
// tusd's PreFinishResponseCallback, where it also writes the answer.
func (u *upload) FinishUpload(context.Context) error { return nil }

// Terminate discards the upload and what it kept.
func (u *upload) Terminate(ctx context.Context) error {
	if err := u.s.att.Discard(ctx, u.by, u.u.FileID); err != nil {
		return u.s.refuse(ctx, err)
	}
	return nil
}
