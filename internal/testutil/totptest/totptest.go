// Package totptest is an authenticator app for tests: it holds a second
// factor's key and gives the TOTP codes (RFC 6238, pquerna/otp) a phone
// would, each one the server has not accepted before. Tests sign in
// faster than a phone shows new codes; a Device then moves its Clock (the
// server's clock, when the test built the server with it) to the next
// time step, or waits for it in real time.
package totptest

import (
	"github.com/cmcoord/cmcoord/internal/testutil/testclock"

	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/cmcoord/cmcoord/internal/domain"
)

var opts = totp.ValidateOpts{Period: uint(domain.TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// CodeAt returns the code of secret (base32; spaces ignored) at t.
func CodeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), at, opts)
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return c
}

// Clock is the tests' clock (testclock.Clock), which a Device follows.
type Clock = testclock.Clock

// Device is an authenticator app holding one key.
type Device struct {
	secret string
	clock  *Clock // nil: real time
	mu     sync.Mutex
	last   int64 // the last time step a code was given for
}

// NewDevice returns a device holding secret (base32; spaces ignored),
// on clock (nil: the real time, waited for).
func NewDevice(secret string, clock *Clock) *Device {
	return &Device{secret: strings.ReplaceAll(secret, " ", ""), clock: clock}
}

// Secret is the device's key.
func (d *Device) Secret() string { return d.secret }

func (d *Device) now() time.Time {
	if d.clock != nil {
		return d.clock.Now()
	}
	return time.Now()
}

// Code returns a code the server accepts now and has not accepted from
// this device: the current step's, or the next step's (within the skew
// the server allows) when the current one was given already; when both
// were, the clock moves on (or the device waits) one step.
func (d *Device) Code(t testing.TB) string {
	t.Helper()
	c, err := d.Next()
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return c
}

// Next is Code for where no test is at hand (a browser action).
func (d *Device) Next() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	period := int64(domain.TOTPPeriod / time.Second)
	for {
		cur := d.now().Unix() / period
		step := max(d.last+1, cur)
		if step <= cur+domain.TOTPSkew {
			d.last = step
			return totp.GenerateCodeCustom(d.secret, time.Unix(step*period, 0), opts)
		}
		if d.clock != nil {
			d.clock.Advance(domain.TOTPPeriod)
		} else {
			time.Sleep(time.Until(time.Unix((cur+1)*period, 0)) + 50*time.Millisecond)
		}
	}
}

// Enroller is the part of service.Access that enrols a second factor.
type Enroller interface {
	Enrolment(ctx context.Context, userID int64) (domain.Enrolment, error)
	ConfirmEnrolment(ctx context.Context, userID int64, code, address string) ([]string, error)
}

// Enrol gives user userID a confirmed second factor through the service,
// as the enrolment page does, and returns the device holding it and the
// recovery codes.
func Enrol(t testing.TB, e Enroller, userID int64, clock *Clock) (*Device, []string) {
	t.Helper()
	en, err := e.Enrolment(t.Context(), userID)
	if err != nil {
		t.Fatalf("enrolment of user %d: %v", userID, err)
	}
	d := NewDevice(en.Secret, clock)
	codes, err := e.ConfirmEnrolment(t.Context(), userID, d.Code(t), "")
	if err != nil {
		t.Fatalf("confirm enrolment of user %d: %v", userID, err)
	}
	return d, codes
}
