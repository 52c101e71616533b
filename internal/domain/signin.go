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
	switch {
	case password == "":
		f.add("password", "field.required")
	case !utf8.ValidString(password) || strings.ContainsRune(password, 0):
		f.add("password", "field.invalid")
	}
	return f.err()
}
