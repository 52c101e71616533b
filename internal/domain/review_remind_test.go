package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestRemindVoters_Guard: the officer may remind while the review is
// open, someone has not voted and the last reminder — the schedule's or
// an officer's, whichever is later — is RemindAgainAfter old; the
// refusal carries the time from which it is possible.
func TestRemindVoters_Guard(t *testing.T) {
	t.Parallel()
	r := requestIn(domain.StatusHCTReview)
	at := func(d time.Duration) time.Time { return testNow.Add(d) }
	for _, tt := range []struct {
		name              string
		scheduled, manual time.Time
		voted             int
		closed            bool
		want              string    // message key, "" allowed
		from              time.Time // the refusal's At
	}{
		{name: "never reminded", voted: 1},
		{name: "scheduled long ago", scheduled: at(-domain.RemindAgainAfter), voted: 0},
		{name: "scheduled an hour ago", scheduled: at(-time.Hour), want: "review.remind_too_soon", from: at(domain.RemindAgainAfter - time.Hour)},
		{name: "officer an hour ago", scheduled: at(-10 * time.Hour), manual: at(-time.Hour), want: "review.remind_too_soon",
			from: at(domain.RemindAgainAfter - time.Hour)},
		{name: "officer long ago", manual: at(-7 * time.Hour)},
		{name: "every vote in", voted: 2, want: "review.remind_all_voted"},
		{name: "closed", closed: true, want: "review.closed"},
	} {
		s := allow(r, domain.ActionRemindVoters)
		s.Review.RemindedAt, s.Review.ManualRemindedAt = tt.scheduled, tt.manual
		s.Tally.Voted = tt.voted
		if tt.closed {
			s.Review.ClosedAt = testNow
		}
		err := domain.Can(officer, domain.ActionRemindVoters, s)
		var de *domain.Error
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want allowed", tt.name, err)
		case tt.want != "" && (!errors.As(err, &de) || de.Message != tt.want || de.Code != domain.CodeConflict):
			t.Errorf("%s: %v, want conflict %s", tt.name, err, tt.want)
		case !tt.from.IsZero() && de.Data["At"] != tt.from:
			t.Errorf("%s: At = %v, want %v", tt.name, de.Data["At"], tt.from)
		}
	}
	// Past the deadline the review only waits for the system to close it.
	s := allow(r, domain.ActionRemindVoters)
	s.Now = s.Review.Deadline
	if err := domain.Can(officer, domain.ActionRemindVoters, s); !domain.TimeBarred(err) {
		t.Errorf("past the deadline: %v, want time-barred", err)
	}
}
