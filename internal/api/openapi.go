package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// openAPIBase is the hand-written part of the API's description: every
// route with its own handler and the shared components. What mirrors the
// rulebook — the generic transitions' paths, the status and action enums
// — is not written there but derived from domain.Rules by buildOpenAPI,
// so a row added to the rulebook is documented with no other edit.
// openapi_test.go fails when the document and Routes drift apart, and
// every API call of the tests is checked against the served document
// (internal/testutil/apicontract).
//
//go:embed openapi.json
var openAPIBase []byte

var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
)

// OpenAPI returns the API's OpenAPI 3.1 document, as served.
func OpenAPI() []byte {
	openAPIOnce.Do(func() {
		doc, err := buildOpenAPI(openAPIBase)
		if err != nil {
			panic(err) // the embedded document and catalogues are part of the binary: every test reaches this
		}
		openAPIDoc = doc
	})
	return append([]byte(nil), openAPIDoc...)
}

// handleOpenAPI serves the API's description to anyone: it holds no data,
// and clients need it before they have a token.
func (a *API) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(OpenAPI())
}

// buildOpenAPI adds to the base document what the rulebook says: a path
// per generic transition (described from its row and the English
// catalogue), the RequestStatus enum and the RequestAction enum.
func buildOpenAPI(base []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(base))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	en := cat.Localizer("en")
	paths, _ := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	if paths == nil || schemas == nil {
		return nil, fmt.Errorf("api: openapi.json lacks paths or components.schemas")
	}
	// The answers' examples are the hand-written GET examples, in the
	// transition's target status.
	examples := map[string]map[string]any{}
	for schema, path := range map[string]string{"Request": "/requests/{id}", "Lifecycle": "/requests/{id}/lifecycle"} {
		ex, err := getExample(paths, path)
		if err != nil {
			return nil, err
		}
		examples[schema] = ex
	}
	for _, t := range domain.GenericTransitions() {
		p := "/requests/{id}/" + t.Path
		if _, ok := paths[p]; ok {
			return nil, fmt.Errorf("api: openapi.json writes %s, which the rulebook generates", p)
		}
		paths[p] = map[string]any{"post": transitionOperation(t, en, examples)}
	}

	statuses := make([]any, len(domain.Statuses()))
	for i, s := range domain.Statuses() {
		statuses[i] = string(s)
	}
	status, _ := schemas["RequestStatus"].(map[string]any)
	if status == nil {
		return nil, fmt.Errorf("api: openapi.json lacks RequestStatus")
	}
	status["enum"] = statuses

	// The checklist item states readers are told.
	var states []any
	for _, st := range domain.ItemStates {
		states = append(states, string(st))
	}
	if item, ok := schemas["ChecklistItemResult"].(map[string]any); ok {
		if props, ok := item["properties"].(map[string]any); ok {
			if st, ok := props["state"].(map[string]any); ok {
				st["enum"] = states
			}
		}
	}

	// The flags an evaluation raises: derived, so a new flag is documented.
	var flags []any
	for _, f := range domain.Flags {
		flags = append(flags, string(f))
	}
	if ev, ok := schemas["Evaluation"].(map[string]any); ok {
		if props, ok := ev["properties"].(map[string]any); ok {
			if fl, ok := props["flags"].(map[string]any); ok {
				if items, ok := fl["items"].(map[string]any); ok {
					items["enum"] = flags
				}
			}
		}
	}

	// The documents' kinds and visibilities, from their tables.
	kinds, visibilities := []any{}, []any{}
	for _, k := range domain.AttachmentKinds {
		kinds = append(kinds, string(k))
	}
	for _, v := range domain.AttachmentVisibilityNames() {
		visibilities = append(visibilities, string(v))
	}
	for name, enum := range map[string][]any{"AttachmentKind": kinds, "AttachmentVisibility": visibilities} {
		sc, _ := schemas[name].(map[string]any)
		if sc == nil {
			return nil, fmt.Errorf("api: openapi.json lacks the %s schema", name)
		}
		sc["enum"] = enum
	}

	var actions []any
	for _, a := range domain.Steps() {
		actions = append(actions, string(a))
	}
	schemas["RequestAction"] = map[string]any{"type": "string", "enum": actions,
		"description": "A step a person may take on a request (the rulebook's rows with a route of their own); the generic transitions are POST /requests/{id}/<path>."}
	if req, ok := schemas["Request"].(map[string]any); ok {
		if props, ok := req["properties"].(map[string]any); ok {
			if acts, ok := props["actions"].(map[string]any); ok {
				acts["items"] = map[string]any{"$ref": "#/components/schemas/RequestAction"}
			}
		}
	}
	// The directory (security) log's actions: derived, so a new event is
	// documented.
	if ev, ok := schemas["DirectoryEvent"].(map[string]any); ok {
		if props, ok := ev["properties"].(map[string]any); ok {
			if act, ok := props["action"].(map[string]any); ok {
				enum := make([]any, len(domain.DirectoryActions))
				for i, a := range domain.DirectoryActions {
					enum[i] = a
				}
				act["enum"] = enum
			}
		}
	}
	// Any operation may find the database down or read-only: 503.
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, o := range ops {
			if op, ok := o.(map[string]any); ok {
				if responses, ok := op["responses"].(map[string]any); ok {
					if _, set := responses["503"]; !set {
						responses["503"] = map[string]any{"$ref": "#/components/responses/Unavailable"}
					}
				}
			}
		}
	}
	if err := documentLimits(paths); err != nil {
		return nil, err
	}
	if err := documentIdempotency(components, paths); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	return buf.Bytes(), nil
}

// transitionOperation describes generic transition t's route.
func transitionOperation(t domain.Rule, en *i18n.Localizer, examples map[string]map[string]any) map[string]any {
	id := strings.ReplaceAll(t.Path, "/", "-")
	var roles []string
	for _, r := range t.Roles {
		s := string(r) + "s"
		if r == domain.RoleRequester {
			s = "the requesting organisation's requesters"
		}
		roles = append(roles, s)
	}
	from := make([]string, len(t.From))
	for i, s := range t.From {
		from[i] = string(s)
	}
	desc := en.T("action_hint."+id) + "\n\nWho: " + strings.Join(roles, ", ") + " of the operation. " +
		strings.Join(from, ", ") + " → " + string(t.To) + "."
	example := map[string]any{"version": 1}
	if t.NeedsReason {
		desc += " A reason is required (422 without)."
		example["reason"] = "…"
	}
	desc += " Wrong state, or a stale version: 409; a missing version: 400 (`request.version_missing`, field `version`)."
	body, tag, answer, answerDesc := "Transition", "requests", "Request", "The request after the action."
	if t.NeedsReference {
		body = "Redirect"
		example["civilian_reference"] = "…"
	}
	switch t.Stage {
	case domain.StageReview:
		tag = "reviews"
	case domain.StageLifecycle:
		tag, answer, answerDesc = "lifecycle", "Lifecycle", "The lifecycle after the action."
	}
	invalid := "Invalid"
	if t.Action == domain.ActionSubmit {
		invalid = "NotSubmittable" // the failing checklist items are listed
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/responses/" + name} }
	answerExample := make(map[string]any, len(examples[answer]))
	for k, v := range examples[answer] {
		answerExample[k] = v
	}
	answerExample["status"] = string(t.To)
	return map[string]any{
		"operationId": "transition" + camel(id),
		"tags":        []any{tag},
		"summary":     en.T("action." + string(t.Action)),
		"description": desc,
		"parameters":  []any{map[string]any{"$ref": "#/components/parameters/RequestID"}},
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/" + body}, "example": example}}},
		"responses": map[string]any{
			"200": map[string]any{"description": answerDesc, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/" + answer}, "example": answerExample}}},
			"400": ref("Malformed"), "401": ref("Unauthorized"), "403": ref("Forbidden"), "404": ref("NotFound"),
			"409": ref("Conflict"), "413": ref("PayloadTooLarge"), "415": ref("UnsupportedMediaType"), "422": ref(invalid),
		},
	}
}

// getExample returns the example of GET path's 200 answer.
func getExample(paths map[string]any, path string) (map[string]any, error) {
	var cur any = paths
	for _, k := range []string{path, "get", "responses", "200", "content", "application/json", "example"} {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("api: openapi.json: no example of GET %s", path)
		}
		cur = m[k]
	}
	ex, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("api: openapi.json: no example of GET %s", path)
	}
	return ex, nil
}

// camel turns "review-return" into "ReviewReturn".
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// limitedOperations names the API operation of each business action
// with a per-user limit (domain.ActionLimits); openapi_test.go fails when
// a limited action has none.
var limitedOperations = map[domain.Action]string{
	domain.ActionCreateRequest:  "requestCreate",
	domain.ActionComment:        "commentCreate",
	domain.ActionExportRequests: "exportRequests",
}

// documentLimits adds the 429 answer, with the limit itself, to every
// operation of a limited action.
func documentLimits(paths map[string]any) error {
	for action := range domain.ActionLimits {
		if _, ok := limitedOperations[action]; !ok {
			return fmt.Errorf("api: the limited action %s has no operation in limitedOperations", action)
		}
	}
	found := map[string]bool{}
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, o := range ops {
			op, _ := o.(map[string]any)
			id, _ := op["operationId"].(string)
			for action, opID := range limitedOperations {
				if opID != id {
					continue
				}
				l := domain.ActionLimits[action]
				responses, _ := op["responses"].(map[string]any)
				if responses == nil {
					return fmt.Errorf("api: openapi.json: %s has no responses", id)
				}
				responses["429"] = map[string]any{
					"description": fmt.Sprintf("More than %d in %s by the same user (limit %s, kept across instances): nothing was done; retry after Retry-After seconds.",
						l.Max, l.Window, l.Name),
					"headers": map[string]any{"Retry-After": map[string]any{"$ref": "#/components/headers/RetryAfter"}},
					"content": map[string]any{"application/json": map[string]any{
						"schema": map[string]any{"$ref": "#/components/schemas/Error"},
						"example": map[string]any{"error": map[string]any{"code": "rate_limited",
							"message":    "You have done this many times in a short while. Nothing was saved. Wait 1 minute and try again.",
							"message_id": "limit.action", "request_id": "api-host/Xk3v9QaB-000042"}}}},
				}
				found[id] = true
			}
		}
	}
	for action, id := range limitedOperations {
		if !found[id] {
			return fmt.Errorf("api: openapi.json has no operation %s for the limited action %s", id, action)
		}
	}
	return nil
}

// stateChanging are the methods of the operations that take an
// Idempotency-Key.
var stateChanging = []string{"post", "put", "patch", "delete"}

// documentIdempotency declares, on every state-changing operation, the
// Idempotency-Key header (httpface.Stack's idempotent middleware), the
// Idempotent-Replayed header of its successful answers, the 200 a retry
// whose first answer was lost is given, the 409 of a duplicate still
// running and the 422 of a key reused for another request.
func documentIdempotency(components map[string]any, paths map[string]any) error {
	params, _ := components["parameters"].(map[string]any)
	headers, _ := components["headers"].(map[string]any)
	if params == nil || headers == nil {
		return fmt.Errorf("api: openapi.json lacks components.parameters or components.headers")
	}
	params["IdempotencyKey"] = map[string]any{
		"name": httpface.IdempotencyKeyHeader, "in": "header", "required": false,
		"description": fmt.Sprintf("A key the client chooses for this change (e.g. a UUID; at most %d printable ASCII characters), "+
			"unique per caller, kept %s. A retry with the same key and the same request (method, path, body) is answered "+
			"the first call's answer with `Idempotent-Replayed: true`, and the change is made once; the same key with another "+
			"request is 422. Only successes bind a key: after a refusal (4xx) the corrected request may reuse it.",
			domain.MaxIdempotencyKeyLen, domain.IdempotencyTTL),
		"schema": map[string]any{"type": "string", "maxLength": domain.MaxIdempotencyKeyLen, "pattern": "^[ -~]+$"},
	}
	headers["IdempotentReplayed"] = map[string]any{
		"description": "`true` on an answer that is not a new execution: the first answer of the Idempotency-Key, or (when that answer was lost) the current state of what it changed.",
		"schema":      map[string]any{"type": "string", "enum": []any{"true"}},
	}
	keyRef := map[string]any{"$ref": "#/components/parameters/IdempotencyKey"}
	replayedRef := map[string]any{"$ref": "#/components/headers/IdempotentReplayed"}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/responses/" + name} }
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, o := range ops {
			op, ok := o.(map[string]any)
			if !ok || !slices.Contains(stateChanging, method) {
				continue
			}
			responses, _ := op["responses"].(map[string]any)
			if responses == nil {
				return fmt.Errorf("api: openapi.json: %s %s has no responses", method, path)
			}
			list, _ := op["parameters"].([]any)
			op["parameters"] = append(list, keyRef)
			if err := documentLostAnswer(paths, path, method, responses, replayedRef); err != nil {
				return err
			}
			for code, rv := range responses {
				resp, ok := rv.(map[string]any)
				if !ok || code < "200" || code >= "400" || resp["$ref"] != nil {
					continue
				}
				h, _ := resp["headers"].(map[string]any)
				if h == nil {
					h = map[string]any{}
					resp["headers"] = h
				}
				h["Idempotent-Replayed"] = replayedRef
			}
			if _, ok := responses["409"]; !ok {
				responses["409"] = ref("Conflict")
			}
			if _, ok := responses["422"]; !ok {
				responses["422"] = ref("Invalid")
			}
		}
	}
	return nil
}

// documentLostAnswer documents the 200 a retry gets when the first answer
// of method on path was lost: what httpface's equivalent answers — the
// GET of the operation's own representation (lostAnswerGet), else that of
// the request changed or of the nearest enclosing resource
// (lostAnswerResource). An operation whose 200 is another representation
// says it may be either.
func documentLostAnswer(paths map[string]any, path, method string, responses, replayedRef map[string]any) error {
	if lostAnswerGet(paths, method, path) != "" {
		return nil // the 200 documented is the answer
	}
	shown := lostAnswerResource(paths, method, path)
	content, err := getContent(paths, shown)
	if err != nil {
		return err
	}
	desc := "A retry under an Idempotency-Key whose first answer was lost (the server stopped between the change and its answer): " +
		"what GET " + shown + " shows now, with `Idempotent-Replayed: true`."
	r200, ok := responses["200"].(map[string]any)
	if !ok {
		responses["200"] = map[string]any{"description": desc, "content": content,
			"headers": map[string]any{"Idempotent-Replayed": replayedRef}}
		return nil
	}
	mine, _ := r200["content"].(map[string]any)
	mt, _ := mine["application/json"].(map[string]any)
	theirs, _ := content["application/json"].(map[string]any)
	if mt == nil || theirs == nil {
		return fmt.Errorf("api: openapi.json: %s %s: a 200 without JSON", method, path)
	}
	if fmt.Sprint(mt["schema"]) != fmt.Sprint(theirs["schema"]) {
		mt["schema"] = map[string]any{"anyOf": []any{mt["schema"], theirs["schema"]}}
		r200["description"] = fmt.Sprint(r200["description"]) + " " + desc
	}
	return nil
}

// lostAnswerGet is the GET route whose answer is the representation
// method on path answers (its 200's schema), below the same parameters,
// the nearest to path; "" when there is none.
func lostAnswerGet(paths map[string]any, method, path string) string {
	ref := answerRef(paths, method, path)
	if ref == "" {
		return ""
	}
	best, bestLen := "", -1
	for p, item := range paths {
		if ops, _ := item.(map[string]any); ops == nil || ops["get"] == nil || answerRef(paths, "get", p) != ref {
			continue
		}
		if !paramsWithin(p, path) {
			continue
		}
		n := commonPrefix(p, path)
		if n > bestLen || n == bestLen && p < best {
			best, bestLen = p, n
		}
	}
	return best
}

// answerRef is the schema $ref of method on path's 200 JSON answer.
func answerRef(paths map[string]any, method, path string) string {
	var cur any = paths
	for _, k := range []string{path, method, "responses", "200", "content", "application/json", "schema", "$ref"} {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	ref, _ := cur.(string)
	return ref
}

// paramsWithin reports whether every {parameter} of p is one of path's.
func paramsWithin(p, path string) bool {
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, "{") && !strings.Contains(path, seg) {
			return false
		}
	}
	return true
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// lostAnswerResource is the path whose GET answers the retry of a change
// at path, when lostAnswerGet names none: the request the change
// concerned (a change to a request, or the creation of one), else the
// nearest enclosing path with a GET.
func lostAnswerResource(paths map[string]any, method, path string) string {
	if path == "/requests/{id}" || strings.HasPrefix(path, "/requests/{id}/") || method == "post" && strings.HasSuffix(path, "/requests") {
		return "/requests/{id}"
	}
	for p := path; p != ""; p = p[:strings.LastIndexByte(p, '/')] {
		if item, ok := paths[p].(map[string]any); ok && item["get"] != nil {
			return p
		}
	}
	return path
}

var (
	lostAnswerOnce   sync.Once
	lostAnswerRoutes map[string]string
)

// lostAnswerRoute is, for httpface.Stack.LostAnswer, the GET route whose
// answer stands for the lost answer of method on route pattern (as the
// served document says, lostAnswerGet).
func lostAnswerRoute(method, pattern string) string {
	lostAnswerOnce.Do(func() {
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
			panic(err) // built into the binary, checked by every test
		}
		lostAnswerRoutes = map[string]string{}
		for p, item := range doc.Paths {
			ops, _ := item.(map[string]any)
			for m := range ops {
				if slices.Contains(stateChanging, m) {
					lostAnswerRoutes[strings.ToUpper(m)+" "+p] = lostAnswerGet(doc.Paths, m, p)
				}
			}
		}
	})
	return lostAnswerRoutes[method+" "+pattern]
}

// getContent returns the content of GET path's 200 answer.
func getContent(paths map[string]any, path string) (map[string]any, error) {
	var cur any = paths
	for _, k := range []string{path, "get", "responses", "200", "content"} {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("api: openapi.json: no 200 answer of GET %s", path)
		}
		cur = m[k]
	}
	c, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("api: openapi.json: no 200 answer of GET %s", path)
	}
	return c, nil
}
