package api

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// directoryEventDTO is one entry of the directory log. Hashes are
// lowercase hex; Hash is the SHA-256 over PrevHash and the entry's
// canonical content. Actor is null for the command line.
type directoryEventDTO struct {
	ID          int64           `json:"id"`
	Seq         int64           `json:"seq"`
	Actor       *refDTO         `json:"actor"`
	Action      string          `json:"action"`
	Target      targetDTO       `json:"target"`
	OperationID *int64          `json:"operation_id"`
	Payload     json.RawMessage `json:"payload"`
	At          time.Time       `json:"at"`
	PrevHash    *string         `json:"prev_hash"`
	Hash        string          `json:"hash"`
}

// targetDTO names the record a directory log entry concerns.
type targetDTO struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

func newDirectoryEventDTO(e domain.DirectoryEvent) directoryEventDTO {
	out := directoryEventDTO{ID: e.ID, Seq: e.Seq, Action: e.Action, Target: targetDTO{Type: string(e.Target.Kind), ID: e.Target.ID},
		Payload: json.RawMessage(e.Payload), At: utc(e.At), Hash: hex.EncodeToString(e.Hash)}
	if e.ActorID != 0 {
		out.Actor = &refDTO{ID: e.ActorID, Name: e.ActorName}
	}
	if e.OperationID != 0 {
		id := e.OperationID
		out.OperationID = &id
	}
	if len(e.PrevHash) > 0 {
		h := hex.EncodeToString(e.PrevHash)
		out.PrevHash = &h
	}
	return out
}

// directoryLogDTO is one page of the directory log, newest first;
// NextBefore, passed back as ?before=, fetches the next (older) page and
// is null on the last one.
type directoryLogDTO struct {
	Items      []directoryEventDTO `json:"items"`
	NextBefore *int64              `json:"next_before"`
}

// handleDirectoryLog answers a page of the directory log (administrators
// only). ?before= and ?limit= must be positive whole numbers.
func (a *API) handleDirectoryLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fe := map[string]string{}
	num := func(name string, max int64) int64 {
		s := q.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 || (max > 0 && n > max) {
			fe[name] = "field.invalid"
		}
		return n
	}
	before, limit := num("before", 0), num("limit", service.DirectoryLogPageSize)
	if len(fe) > 0 {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fe}
	}
	page, err := a.directory.DirectoryLog(r.Context(), actor(r), before, int(limit))
	if err != nil {
		return err
	}
	out := directoryLogDTO{Items: make([]directoryEventDTO, len(page.Items))}
	for i, e := range page.Items {
		out.Items[i] = newDirectoryEventDTO(e)
	}
	if page.Before > 0 {
		out.NextBefore = &page.Before
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDirectoryLogLines streams the whole directory log (the security
// log) as JSON lines, oldest first, one entry per line as in
// GET /audit/directory (administrators only): for a SIEM or an archive.
// An error before the first line is the JSON error envelope; one after
// it cuts the stream (the last line is then incomplete JSON).
func (a *API) handleDirectoryLogLines(w http.ResponseWriter, r *http.Request) error {
	by := actor(r)
	if err := domain.Can(by, domain.ActionViewDirectoryLog, domain.OnInstance()); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/jsonl; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="cmcoord-security-log.jsonl"`)
	h.Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return a.directory.EachDirectoryEvent(r.Context(), by, func(e domain.DirectoryEvent) error {
		return enc.Encode(newDirectoryEventDTO(e))
	})
}
