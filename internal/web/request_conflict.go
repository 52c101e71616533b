package web

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/pages"
)

// conflictView shows the refusal de of a stale save of the request form f
// (already rendered, so its labels are known): the message and, per field
// someone else changed, its label, its value now and the value typed.
func conflictView(ctx context.Context, f *form, de *domain.Error) pages.ConflictView {
	v := pages.ConflictView{Message: i18n.Data(ctx, de.Message, de.Data)}
	for _, c := range de.Conflict.Changes {
		id, label := conflictField(ctx, f, c.Field)
		v.Rows = append(v.Rows, pages.ConflictRow{FieldID: id, Label: label,
			Now: conflictValue(ctx, c.Field, c.Now), Yours: conflictValue(ctx, c.Field, c.Yours)})
	}
	return v
}

// conflictField returns the input a changed field is at on the form and
// its label there.
func conflictField(ctx context.Context, f *form, field string) (id, label string) {
	if rest, ok := strings.CutPrefix(field, "checklist."); ok {
		item, note := strings.CutSuffix(rest, ".note")
		title := i18n.T(ctx, "checklist."+item+".title")
		if note {
			return field, title + " — " + i18n.T(ctx, "request_form.item_note")
		}
		return "item-" + item, title
	}
	label = f.labels[field]
	if label == "" {
		label = field
	}
	if prefix, _, ok := strings.Cut(field, "."); ok && (prefix == "origin" || prefix == "destination") {
		label = i18n.T(ctx, "request."+prefix) + " — " + label
	}
	if _, shown := f.labels[field]; !shown {
		return "", label
	}
	return field, label
}

// conflictValue shows a value of field as the audit trail holds it (text,
// number, list), with codes in the reader's language.
func conflictValue(ctx context.Context, field string, v any) string {
	switch x := v.(type) {
	case nil:
		return i18n.T(ctx, "conflict.empty")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return i18n.T(ctx, "answer.yes")
		}
		return i18n.T(ctx, "answer.no")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok { // a civilian option
				opt, _ := m["option"].(string)
				res, _ := m["result"].(string)
				s := i18n.T(ctx, "civilian_option."+opt)
				if res != "" {
					s += ": " + i18n.T(ctx, "civilian_result."+res)
				}
				if note, _ := m["note"].(string); note != "" {
					s += " (" + note + ")"
				}
				parts = append(parts, s)
				continue
			}
			s, _ := e.(string)
			if field == "sectors" {
				s = i18n.T(ctx, "sector."+s) + " (" + s + ")"
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			return i18n.T(ctx, "conflict.empty")
		}
		return strings.Join(parts, "; ")
	case string:
		if x == "" {
			return i18n.T(ctx, "conflict.empty")
		}
		if rest, ok := strings.CutPrefix(field, "checklist."); ok && !strings.HasSuffix(rest, ".note") {
			if item, ok := domain.ChecklistItemByID(rest); ok {
				return answerLabel(ctx, item.Answer, x)
			}
		}
		switch field {
		case "priority", "task_category", "support_type":
			return i18n.T(ctx, field+"."+x)
		case "escort.compensation":
			return i18n.T(ctx, "escort_compensation."+x)
		case "escort.common_position_consulted":
			if x == "true" {
				return i18n.T(ctx, "answer.yes")
			}
			return i18n.T(ctx, "answer.no")
		}
		return x
	}
	return ""
}

// savedToken is an object's updated_at as an edit form carries it (the
// hidden "updated" field): the save it shows, to refuse overwriting a
// later one.
func savedToken(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// savedAt reads the "updated" field back; zero when absent or unreadable.
func savedAt(v url.Values) time.Time {
	t, err := time.Parse(time.RFC3339Nano, v.Get("updated"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// staleForm returns the refusal in err of a save someone else's
// preceded, or nil.
func staleForm(err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) && de.Conflict != nil {
		return de
	}
	return nil
}
