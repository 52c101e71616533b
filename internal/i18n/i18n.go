// Package i18n owns cmcoord's message catalogues and the one translation
// function every user-facing string goes through. Catalogues are JSON
// files under locales/, one per language, embedded in the binary and read
// with nicksnyder/go-i18n (CLDR plural rules, message templates).
//
// It imports no other cmcoord package.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed locales/*.json
var locales embed.FS

// DefaultLanguage is the language of the reference catalogue: every key
// exists in it and other catalogues fall back to it.
var DefaultLanguage = language.English

// rtl lists base languages written right to left.
var rtl = map[string]bool{"ar": true, "fa": true, "he": true, "ur": true}

// Catalog holds every loaded language.
type Catalog struct {
	bundle  *goi18n.Bundle
	tags    []language.Tag
	matcher language.Matcher
	keys    map[string]map[string]bool // language → message IDs
	missing func(lang, id string)
	// texts holds each language's messages compiled for the fast path
	// (compiled): language → message ID.
	texts map[string]map[string]*compiled
	// locs holds one Localizer per language of tags, in the same order:
	// a Localizer is immutable, so every request in a language shares it.
	locs []*Localizer
	// matched remembers which Localizer a list of preferences chose
	// (Localizer), up to maxMatched lists: the lists come from requests'
	// Accept-Language headers, so their number is bounded.
	matched  sync.Map // string → *Localizer
	nmatched atomic.Int64
}

// maxMatched is how many preference lists a Catalog remembers, and
// maxMatchedKey the longest it remembers (an Accept-Language header of a
// real browser is well under it).
const (
	maxMatched    = 4096
	maxMatchedKey = 256
)

// OnMissing sets fn to be called whenever a message ID is missing from the
// default catalogue. The server logs it; tests fail on it.
func (c *Catalog) OnMissing(fn func(lang, id string)) { c.missing = fn }

// Load reads the embedded catalogues.
func Load() (*Catalog, error) {
	return LoadFS(locales, "locales")
}

// LoadFS reads every *.json catalogue in dir of fsys; the file name ends
// in the language tag (en.json, requests.en.json, fr.json). A language
// may be split over several files; a key defined twice is an error.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	b := goi18n.NewBundle(DefaultLanguage)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	c := &Catalog{bundle: b, keys: map[string]map[string]bool{}, texts: map[string]map[string]*compiled{}}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		mf, err := b.ParseMessageFileBytes(raw, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		ids := c.keys[mf.Tag.String()]
		if ids == nil {
			ids = map[string]bool{}
			c.keys[mf.Tag.String()] = ids
			c.texts[mf.Tag.String()] = map[string]*compiled{}
		}
		for _, m := range mf.Messages {
			if ids[m.ID] {
				return nil, fmt.Errorf("i18n: %s: %q is defined twice for %s", name, m.ID, mf.Tag)
			}
			ids[m.ID] = true
			if t := compile(m); t != nil {
				c.texts[mf.Tag.String()][m.ID] = t
			}
		}
	}
	if _, ok := c.keys[DefaultLanguage.String()]; !ok {
		return nil, fmt.Errorf("i18n: no %s catalogue in %s", DefaultLanguage, dir)
	}
	// The default language first, so the matcher falls back to it.
	c.tags = append([]language.Tag{DefaultLanguage}, withoutTag(b.LanguageTags(), DefaultLanguage)...)
	c.matcher = language.NewMatcher(c.tags)
	for _, tag := range c.tags {
		c.locs = append(c.locs, c.newLocalizer(tag))
	}
	return c, nil
}

// newLocalizer builds the Localizer of tag, one of c.tags.
func (c *Catalog) newLocalizer(tag language.Tag) *Localizer {
	l := &Localizer{tag: tag, loc: goi18n.NewLocalizer(c.bundle, tag.String()), catalog: c, p: message.NewPrinter(tag),
		texts: c.texts[tag.String()], fallback: c.texts[DefaultLanguage.String()]}
	for d := range l.digit {
		l.digit[d] = l.p.Sprint(number.Decimal(d))
	}
	return l
}

func withoutTag(tags []language.Tag, drop language.Tag) []language.Tag {
	var out []language.Tag
	for _, t := range tags {
		if t != drop {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Languages returns the loaded languages, the default first.
func (c *Catalog) Languages() []language.Tag { return c.tags }

// Keys returns the sorted message IDs of language lang ("en", "fr"…).
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.keys[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the default catalogue defines id.
func (c *Catalog) Has(id string) bool { return c.keys[DefaultLanguage.String()][id] }

// Localizer picks the best loaded language for prefs, in order of
// preference: each is a tag ("fr") or an Accept-Language header value.
// Empty strings are ignored; with no match the default language is used.
func (c *Catalog) Localizer(prefs ...string) *Localizer {
	key := strings.Join(prefs, "\x00")
	if l, ok := c.matched.Load(key); ok {
		return l.(*Localizer)
	}
	l := c.locs[c.match(prefs)]
	// Remembered only while few and short: the lists come from request
	// headers, so neither their number nor their size may grow memory.
	if c.nmatched.Load() < maxMatched && len(key) <= maxMatchedKey {
		if _, known := c.matched.LoadOrStore(key, l); !known {
			c.nmatched.Add(1)
		}
	}
	return l
}

// match returns the index in c.tags of the best language for prefs.
func (c *Catalog) match(prefs []string) int {
	var want []language.Tag
	for _, p := range prefs {
		if p == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil {
			continue // a malformed header is not the user's fault: ignore it
		}
		want = append(want, tags...)
	}
	_, i, conf := c.matcher.Match(want...)
	if conf == language.No {
		return 0 // the default language
	}
	return i
}

// Localizer translates message IDs into one language. It is immutable:
// one per language serves every request (Catalog.Localizer).
type Localizer struct {
	tag     language.Tag
	loc     *goi18n.Localizer
	catalog *Catalog
	p       *message.Printer // numbers (format.go)
	// texts and fallback are the language's and the default language's
	// compiled messages (the fast path of localize).
	texts, fallback map[string]*compiled
	digit           [10]string // the language's digits 0–9 (format.go)
	datesOnce       sync.Once
	dates           *dateFormats // format.go
}

// text is message id's compiled text in the language, or as go-i18n
// falls back, in the default one; nil when it is not a plain template.
func (l *Localizer) text(id string) *compiled {
	if t := l.texts[id]; t != nil {
		return t
	}
	return l.fallback[id]
}

// Lang returns the BCP 47 tag of the chosen language, for <html lang>.
func (l *Localizer) Lang() string { return l.tag.String() }

// Dir returns "rtl" for right-to-left languages and "ltr" otherwise.
func (l *Localizer) Dir() string {
	base, _ := l.tag.Base()
	if rtl[base.String()] {
		return "rtl"
	}
	return "ltr"
}

// T translates id, filling its template with key/value pairs from kv
// ("Name", "Ana"). A missing ID returns the ID itself so a gap is visible
// rather than blank; the catalogue tests keep that from shipping.
func (l *Localizer) T(id string, kv ...any) string {
	return l.localize(id, nil, kv)
}

// N translates id with the plural form for count (CLDR rules of the
// language); the template sees {{.Count}}, formatted for the language
// (Number), and the pairs of kv.
func (l *Localizer) N(id string, count int, kv ...any) string {
	return l.localize(id, count, append(kv, "Count", l.Number(count)))
}

func (l *Localizer) localize(id string, count any, kv []any) string {
	// The fast path: a message without plural forms chosen by count whose
	// text uses no template action but {{.Name}}, in the language or, as
	// go-i18n falls back, in the default one. It gives what go-i18n's
	// template gives, without a template run and a language match per call.
	if count == nil {
		if t := l.text(id); t != nil {
			if s, ok := t.render(kv); ok {
				return s
			}
		}
	}
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		if l.catalog.missing != nil {
			l.catalog.missing(l.tag.String(), id)
		}
		return id
	}
	return s
}

type ctxKey struct{}

// WithLocalizer returns a context carrying l, for templates and handlers.
func WithLocalizer(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the Localizer in ctx, or nil when there is none.
func FromContext(ctx context.Context) *Localizer {
	l, _ := ctx.Value(ctxKey{}).(*Localizer)
	return l
}

// T translates id with the Localizer in ctx. Without one it returns id,
// which only happens in code paths that bypassed the web middleware.
func T(ctx context.Context, id string, kv ...any) string {
	if l := FromContext(ctx); l != nil {
		return l.T(id, kv...)
	}
	return id
}

// Data translates a message whose template data comes as a map (a
// domain error's Data): with an int "Count" in it, in the plural form for
// that count (N); otherwise as T. A time.Time in it is shown as DateTime.
func Data(ctx context.Context, id string, data map[string]any) string {
	l := FromContext(ctx)
	if l == nil {
		return id
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := make([]any, 0, 2*len(data))
	count, plural := data["Count"].(int)
	for _, k := range keys {
		if !(plural && k == "Count") {
			v := data[k]
			if t, ok := v.(time.Time); ok { // a moment the rules name: in the reader's format
				v = l.DateTime(t)
			}
			kv = append(kv, k, v)
		}
	}
	if plural {
		return l.N(id, count, kv...)
	}
	return l.T(id, kv...)
}

// compiled is a message's "other" text split at its actions, when every
// action is a plain {{.Name}}; compile returns nil for any other text
// (conditions, functions, custom delimiters), which go-i18n renders.
type compiled struct {
	lits  []string // len(names)+1 literal pieces around the actions
	names []string
}

func compile(m *goi18n.Message) *compiled {
	if m.LeftDelim != "" && m.LeftDelim != "{{" || m.RightDelim != "" && m.RightDelim != "}}" {
		return nil
	}
	t := &compiled{}
	rest := m.Other
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil
			}
			t.lits = append(t.lits, rest)
			return t
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil
		}
		action := rest[i+2 : i+j]
		name, ok := strings.CutPrefix(action, ".")
		if !ok || name == "" || strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			return nil
		}
		t.lits = append(t.lits, rest[:i])
		t.names = append(t.names, name)
		rest = rest[i+j+2:]
	}
}

// render fills t with the pairs of kv as text/template would print them:
// a missing name is "<no value>". ok is false for a value other than a
// string or an integer, which the caller leaves to go-i18n.
func (t *compiled) render(kv []any) (string, bool) {
	if len(t.names) == 0 {
		return t.lits[0], true
	}
	var b strings.Builder
	for i, name := range t.names {
		b.WriteString(t.lits[i])
		v, found := lookup(kv, name)
		switch v := v.(type) {
		case nil:
			if found {
				return "", false
			}
			b.WriteString("<no value>")
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			return "", false
		}
	}
	b.WriteString(t.lits[len(t.names)])
	return b.String(), true
}

// lookup returns the value of key name in the pairs of kv; as in the map
// localize builds, a later pair wins.
func lookup(kv []any, name string) (v any, found bool) {
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok && k == name || !ok && fmt.Sprint(kv[i]) == name {
			v, found = kv[i+1], true
		}
	}
	return v, found
}
