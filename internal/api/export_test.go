package api

import "github.com/cmcoord/cmcoord/internal/domain"

// BodyTypes returns, for the tests, the Go type each route that reads a
// JSON body decodes it into, by "METHOD pattern" under /api/v1 (the
// generic transitions' from the rulebook). TestInputErrors_NameJSONFields
// checks that it lists every route that reads a body.
func BodyTypes() map[string]any {
	out := map[string]any{
		"POST /me/tokens":                            tokenInput{},
		"PUT /me/notification-preferences":           notificationPrefsInput{},
		"POST /organizations":                        organizationInput{},
		"PATCH /organizations/{id}":                  organizationInput{},
		"POST /users":                                userCreateInput{},
		"PATCH /users/{id}":                          userUpdateInput{},
		"POST /operations":                           operationInput{},
		"PATCH /operations/{code}":                   operationInput{},
		"POST /operations/{code}/members":            memberAddInput{},
		"PUT /operations/{code}/members/{user_id}":   memberInput{},
		"POST /operations/{code}/acting-hc":          actingHCInput{},
		"POST /operations/{code}/requests":           requestInput{},
		"PATCH /requests/{id}":                       requestPatch{},
		"POST /requests/{id}/briefing":               briefingInput{},
		"POST /requests/{id}/extend":                 extendInput{},
		"POST /requests/{id}/review":                 openInput{},
		"POST /requests/{id}/review/reopen":          openInput{},
		"POST /requests/{id}/review/close":           versionInput{},
		"POST /requests/{id}/review/remind":          versionInput{},
		"PUT /requests/{id}/vote":                    voteInput{},
		"POST /requests/{id}/decision":               decisionInput{},
		"PUT /requests/{id}/consent":                 consentInput{},
		"POST /requests/{id}/tasking":                taskingInput{},
		"POST /requests/{id}/reports":                reportInput{},
		"POST /requests/{id}/handover":               handoverInput{},
		"PUT /requests/{id}/hrddp":                   assessmentInput{},
		"POST /requests/{id}/comments":               commentInput{},
		"PATCH /requests/{id}/comments/{comment_id}": commentInput{},
	}
	for _, t := range domain.GenericTransitions() {
		var in any = transitionInput{}
		if t.NeedsReference {
			in = redirectInput{}
		}
		out["POST /requests/{id}/"+t.Path] = in
	}
	return out
}

// OnePassBodies are the routes whose body is a request's fields
// (requestInput): a value of the wrong type there is a field problem
// (422) reported with every other, not a 400.
func OnePassBodies() []string {
	return []string{"POST /operations/{code}/requests", "PATCH /requests/{id}"}
}

// HostileStrings are the hostile texts the fuzz seeds and the walk of
// every route send in every text field.
func HostileTexts() []string { return hostileStrings }
