package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/pages"
)

// auditURL is the directory log page.
const auditURL = "/admin/audit"

// handleDirectoryLog shows a page of the directory log (administrators
// only, as the service decides). ?before=N pages back; anything that is
// not a positive number means the newest page.
func (s *Server) handleDirectoryLog(w http.ResponseWriter, r *http.Request) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	page, err := s.directory.DirectoryLog(r.Context(), actor(r), before, 0)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v := pages.AdminAuditView{Shell: s.shell(w, r, i18n.T(ctx, "dirlog.title"))}
	for _, e := range page.Items {
		v.Rows = append(v.Rows, dirlogRow(ctx, e))
	}
	if page.Before > 0 {
		v.OlderURL = auditURL + "?before=" + strconv.FormatInt(page.Before, 10)
	}
	if before > 0 {
		v.NewestURL = auditURL
	}
	return s.render(w, r, http.StatusOK, pages.AdminAudit(v))
}

// dirlogRow makes an entry readable: translated action and kind, and the
// payload as one line per change, field or role.
func dirlogRow(ctx context.Context, e domain.DirectoryEvent) pages.AdminAuditRow {
	var p struct {
		Label     string          `json:"label"`
		Operation string          `json:"operation"`
		Record    map[string]any  `json:"record"`
		Changes   []domain.Change `json:"changes"`
		Granted   []string        `json:"granted"`
		Removed   []string        `json:"removed"`
		Email     string          `json:"email"`   // an invitation's address
		Reason    string          `json:"reason"`  // why an invitation was dropped (an i18n key)
		Address   string          `json:"address"` // the client address the change came from
	}
	_ = json.Unmarshal(e.Payload, &p) // stored by cmcoord as canonical JSON; a field it lacks stays empty
	row := pages.AdminAuditRow{
		Seq:    strconv.FormatInt(e.Seq, 10),
		When:   displayTime(ctx, e.At),
		Actor:  e.ActorName,
		Action: i18n.T(ctx, "dirlog.action."+e.Action),
		Target: fmt.Sprintf("%s %s (#%d)", i18n.T(ctx, "dirlog.kind."+string(e.Target.Kind)), p.Label, e.Target.ID),
	}
	switch {
	case e.ActorID == 0 && (p.Address != "" || strings.HasPrefix(e.Action, "account.")): // a sign-in attempt: nobody is signed in yet
		row.Actor = i18n.T(ctx, "dirlog.anonymous")
	case e.ActorID == 0:
		row.Actor = i18n.T(ctx, "dirlog.command_line")
	}
	if p.Operation != "" {
		row.Details = append(row.Details, i18n.T(ctx, "dirlog.kind.operation")+": "+p.Operation)
	}
	if p.Email != "" {
		row.Details = append(row.Details, i18n.T(ctx, "user.email")+": "+p.Email)
	}
	if p.Address != "" {
		row.Details = append(row.Details, i18n.T(ctx, "dirlog.address")+": "+p.Address)
	}
	if p.Reason != "" {
		row.Details = append(row.Details, i18n.T(ctx, "dirlog.reason", "Reason", i18n.T(ctx, p.Reason)))
	}
	for _, r := range p.Granted {
		row.Details = append(row.Details, "+ "+i18n.T(ctx, "role."+r))
	}
	for _, r := range p.Removed {
		row.Details = append(row.Details, "− "+i18n.T(ctx, "role."+r))
	}
	for _, c := range p.Changes {
		row.Details = append(row.Details, fmt.Sprintf("%s: %v → %v", c.Field, c.Old, c.New))
	}
	fields := make([]string, 0, len(p.Record))
	for k := range p.Record {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, k := range fields {
		row.Details = append(row.Details, fmt.Sprintf("%s: %v", k, p.Record[k]))
	}
	// What else an account event carries (how a sign-in was made, the
	// step that failed, a token's name and scope…), as key: value.
	var all map[string]any
	_ = json.Unmarshal(e.Payload, &all)
	extra := make([]string, 0, len(all))
	for k, v := range all {
		if dirlogShown[k] {
			continue
		}
		switch v := v.(type) {
		case string, bool, float64:
			extra = append(extra, fmt.Sprintf("%s: %v", k, v))
		case []any: // a list of words: a lockout's limits
			words := make([]string, 0, len(v))
			for _, w := range v {
				if w, ok := w.(string); ok {
					words = append(words, w)
				}
			}
			if len(words) == len(v) && len(words) > 0 {
				extra = append(extra, k+": "+strings.Join(words, ", "))
			}
		}
	}
	sort.Strings(extra)
	row.Details = append(row.Details, extra...)
	for i, d := range row.Details {
		row.Details[i] = visible(strings.TrimSpace(d))
	}
	row.Target, row.Actor = visible(row.Target), visible(row.Actor)
	return row
}

// dirlogShown are the payload keys dirlogRow shows in their own way (or
// not at all: an invitation's ID and dates, the roles before and after).
var dirlogShown = map[string]bool{"label": true, "operation": true, "email": true, "address": true, "reason": true,
	"invitation": true, "invited_at": true, "old": true, "new": true, "roles": true}

// visible shows the characters that reorder text (bidirectional
// embeddings, overrides, isolates and marks) or that cannot be seen
// (format and control characters: zero-width spaces, soft hyphens, byte
// order marks) as their code points: a value anyone can type — an e-mail
// at sign-in — must not make the security log read as something else
// ("moc.elpmaxe@nimda") or look like another account's.
func visible(s string) string {
	if !strings.ContainsFunc(s, isHiddenRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isHiddenRune(r) {
			fmt.Fprintf(&b, "[U+%04X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isHiddenRune(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Cc)
}
