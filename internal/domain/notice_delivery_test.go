package domain_test

import (
	"slices"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestNoticeAudiences: the table covers every request kind once, and no
// account kind, whose delivery is never configurable.
func TestNoticeAudiences(t *testing.T) {
	t.Parallel()
	seen := map[domain.NoticeKind]bool{}
	for _, a := range domain.NoticeAudiences {
		if seen[a.Kind] {
			t.Errorf("%s listed twice", a.Kind)
		}
		seen[a.Kind] = true
		if len(a.To) == 0 {
			t.Errorf("%s: nobody receives it", a.Kind)
		}
		if _, ok := a.To[domain.RoleViewer]; ok {
			t.Errorf("%s: a viewer receives it", a.Kind)
		}
	}
	for _, k := range domain.NoticeKinds {
		if k.Account() == seen[k] {
			t.Errorf("%s: account %v, in the table %v", k, k.Account(), seen[k])
		}
		if k.Account() && (k.Configurable() || domain.DefaultDelivery(k, nil) != domain.DeliveryEmail ||
			domain.EffectiveDelivery(k, nil, map[domain.NoticeKind]domain.Delivery{k: domain.DeliveryInApp}) != domain.DeliveryEmail) {
			t.Errorf("%s: an account notice is configurable or not e-mailed at once", k)
		}
	}
}

func TestDefaultDelivery(t *testing.T) {
	t.Parallel()
	roles := func(r ...domain.Role) domain.RoleSet { return r }
	for _, c := range []struct {
		kind  domain.NoticeKind
		roles domain.RoleSet
		want  domain.Delivery
	}{
		{domain.NoticeSubmitted, roles(domain.RoleOfficer), domain.DeliveryEmail},
		{domain.NoticeReviewOpened, roles(domain.RoleHCTMember), domain.DeliveryEmail},
		{domain.NoticeReviewClosed, roles(domain.RoleHC), domain.DeliveryEmail},
		{domain.NoticeTasked, roles(domain.RoleRequester), domain.DeliveryEmail},
		{domain.NoticeComment, roles(domain.RoleRequester, domain.RoleOfficer), domain.DeliveryDigest},
		// The most immediate of the user's roles that receive the kind.
		{domain.NoticeDecision, roles(domain.RoleViewer, domain.RoleHCTMember), domain.DeliveryEmail},
		// None of the user's roles: the kind's most immediate.
		{domain.NoticeSubmitted, roles(domain.RoleViewer), domain.DeliveryEmail},
		{domain.NoticeComment, nil, domain.DeliveryDigest},
	} {
		if got := domain.DefaultDelivery(c.kind, c.roles); got != c.want {
			t.Errorf("DefaultDelivery(%s, %v) = %s, want %s", c.kind, c.roles, got, c.want)
		}
	}
	prefs := map[domain.NoticeKind]domain.Delivery{domain.NoticeComment: domain.DeliveryEmail, domain.NoticeTasked: "pigeon"}
	if got := domain.EffectiveDelivery(domain.NoticeComment, nil, prefs); got != domain.DeliveryEmail {
		t.Errorf("a choice is not taken: %s", got)
	}
	if got := domain.EffectiveDelivery(domain.NoticeTasked, roles(domain.RoleRequester), prefs); got != domain.DeliveryEmail {
		t.Errorf("an unknown delivery is taken: %s", got)
	}
	if got := domain.KindsFor(roles(domain.RoleHRDDPReviewer)); !slices.Equal(got, []domain.NoticeKind{domain.NoticeAssessmentNeeded, domain.NoticeComment}) {
		t.Errorf("KindsFor(hrddp_reviewer) = %v", got)
	}
	if got := domain.KindsFor(roles(domain.RoleViewer)); len(got) != 0 {
		t.Errorf("KindsFor(viewer) = %v, want none", got)
	}
}

func TestDigestUnsubscribeToken(t *testing.T) {
	t.Parallel()
	key, other := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	tok := domain.DigestUnsubscribeToken(key, 42)
	if id, ok := domain.ParseDigestUnsubscribeToken(key, tok); !ok || id != 42 {
		t.Fatalf("Parse(own token) = %d, %v", id, ok)
	}
	for _, bad := range []string{"", "42", "42.", tok + "x", "43" + tok[2:], "042" + tok[2:], domain.DigestUnsubscribeToken(other, 42), "-1.x"} {
		if id, ok := domain.ParseDigestUnsubscribeToken(key, bad); ok {
			t.Errorf("Parse(%q) = %d, accepted", bad, id)
		}
	}
}

// TestCommentAudienceAwaitingDecision: whoever must act next is told of
// a comment — the HC while the request awaits their decision, not
// before; a viewer never.
func TestCommentAudienceAwaitingDecision(t *testing.T) {
	t.Parallel()
	member := func(id int64, role domain.Role) domain.Member {
		return domain.Member{User: domain.User{ID: id, OrganizationID: 10 + id}, Roles: domain.RoleSet{role}}
	}
	members := []domain.Member{member(1, domain.RoleRequester), member(2, domain.RoleOfficer), member(3, domain.RoleHC), member(4, domain.RoleViewer)}
	for _, c := range []struct {
		status domain.Status
		hc     bool
	}{{domain.StatusSubmitted, false}, {domain.StatusHCTReview, false}, {domain.StatusHCDecision, true}, {domain.StatusApproved, false}} {
		r := domain.Request{ID: 7, OperationID: 1, CreatedBy: 1, RequestingOrgID: 11, Status: c.status}
		got := domain.CommentAudience(r, members, nil, nil, 2)
		if slices.Contains(got, 3) != c.hc || slices.Contains(got, 4) || slices.Contains(got, 2) {
			t.Errorf("%s: comment by the officer told %v (HC told: want %v)", c.status, got, c.hc)
		}
	}
}
