package service_test

import (
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestWriteAtChecksOffset: a resumed upload writes only where the client
// says it stands (tus's Upload-Offset); a stale offset is a conflict
// that writes nothing, so two instances resuming one upload at once
// never interleave bytes. Another user never reaches the upload.
func TestWriteAtChecksOffset(t *testing.T) {
	t.Parallel()
	f := newDocFixture(t)
	ctx := t.Context()
	r := f.submitted(t, "Field hospital")
	u, err := f.attach.Begin(ctx, f.officer, r.ID, domain.AttachmentInput{Kind: domain.KindMap, Filename: "map.pdf",
		Visibility: domain.VisibleToAll}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.attach.WriteAt(ctx, f.officer, u.FileID, 0, strings.NewReader("%PDF-")); err != nil || n != 5 {
		t.Fatalf("first piece: %d, %v", n, err)
	}
	if n, err := f.attach.WriteAt(ctx, f.officer, u.FileID, 0, strings.NewReader("%PDF-")); domain.ErrorCode(err) != domain.CodeConflict || n != 0 {
		t.Errorf("stale offset: %d, %v; want a conflict and nothing written", n, err)
	}
	if _, err := f.attach.WriteAt(ctx, f.viewer, u.FileID, 5, strings.NewReader("12345")); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("another user's write: %v, want not found", err)
	}
	got, err := f.attach.GetUpload(ctx, f.officer, u.FileID)
	if err != nil || got.Size != 5 {
		t.Fatalf("after the stale write: %+v, %v", got, err)
	}
	if n, err := f.attach.WriteAt(ctx, f.officer, u.FileID, 5, strings.NewReader("1.7\n\n")); err != nil || n != 5 {
		t.Fatalf("second piece: %d, %v", n, err)
	}
	a, err := f.attach.Finish(ctx, f.officer, u.FileID)
	if err != nil || a.Size != 10 || a.SHA256 == nil || hashOf("%PDF-1.7\n\n") != a.HashHex() {
		t.Errorf("finished: %+v, %v", a, err)
	}
}
