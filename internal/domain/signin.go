package domain

import (
	"strings"
	"unicode/utf8"
)

// ValidateSignIn checks what a sign-in form gives before anything is
// looked up: an address and a password, each text PostgreSQL can hold
// (no NUL, only UTF-8).
func ValidateSignIn(email, password string) error {
	f := fieldErrors{}
	checkText(f, "email", email, 254, true)
	checkSecret(f, "password", password)
	return f.err()
}

// ValidateCurrentPassword checks the current password typed to confirm a
// change, as a sign-in's, before it is compared.
func ValidateCurrentPassword(password string) error {
	f := fieldErrors{}
	checkSecret(f, "current_password", password)
	return f.err()
}

// checkSecret refuses an empty secret, or one that is not text.
func checkSecret(f fieldErrors, field, secret string) {
	switch {
	case secret == "":
		f.add(field, "field.required")
	case !utf8.ValidString(secret) || strings.ContainsRune(secret, 0):
		f.add(field, "field.invalid")
	}
}
