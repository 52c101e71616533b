package api_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/cmcoord/cmcoord/internal/api"
)

// FuzzEveryBody sends arbitrary bytes as the JSON body of every API
// route that reads one (api.BodyTypes), at a real server on a real
// database, where the body would be accepted when valid (bodyTargets: a
// step where the rulebook allows it, the OpenAPI example elsewhere). The
// answer must be a 2xx, or a 4xx with the JSON error envelope: never a
// 5xx, never a panic. The corpus starts from each route's valid body and
// that body with its deepest field, found by reflection, holding a NUL.
//
// `make test` runs it as a fuzzer for a short time (FUZZTIME, 15,000 inputs by
// default) after the tests; `go test` alone runs its seeds.
func FuzzEveryBody(f *testing.F) {
	w, callers := newActionWalk(f)
	keys, targets := bodyTargets(f, w, callers, w.mustUser(f, "probed@example.org"))
	types := api.BodyTypes()
	for i, key := range keys {
		tg := targets[key]
		if tg == nil {
			continue // bodyTargets has said why
		}
		valid, err := json.Marshal(tg.body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint16(i), valid)
		// The deepest field holding a NUL: the mutator finds the rest
		// (TestHostileInput_NoServerError walks every field).
		ls := leaves(reflect.TypeOf(types[key]), nil)
		if len(ls) > 0 {
			deepest := slices.MaxFunc(ls, func(a, b leaf) int { return len(a.path) - len(b.path) })
			f.Add(uint16(i), []byte(with(f, tg.body, deepest.path, `"a\u0000b"`)))
		}
	}
	f.Fuzz(func(t *testing.T, route uint16, body []byte) {
		key := keys[int(route)%len(keys)]
		tg := targets[key]
		if tg == nil {
			return
		}
		r := w.send(t, tg.method, tg.path, tg.token, string(body))
		if wantNoServerError(t, key, r, false, "") && tg.fresh != nil {
			tg.renew(t) // accepted: the request moved on
		}
	})
}
