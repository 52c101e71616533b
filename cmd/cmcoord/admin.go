package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/domain"
)

// adminOpts are the flags of `cmcoord admin create`.
type adminOpts struct {
	email, name string
	org         domain.Organization
	orgType     string
}

func (o *adminOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.email, "email", "", "e-mail address (required)")
	fs.StringVar(&o.name, "name", "", "full name (required)")
	fs.StringVar(&o.org.Name, "org", "", `organisation name (created when missing; default "cmcoord administrators")`)
	fs.StringVar(&o.org.Acronym, "org-acronym", "", "the organisation's acronym, when it is created (default: its initials)")
	fs.StringVar(&o.orgType, "org-type", string(domain.OrgOther), "the organisation's type, when it is created: "+orgTypeList())
	fs.BoolVar(&o.org.UNEntity, "org-un", false, "the organisation, when it is created, is a UN entity")
}

// orgTypeList names the organisation types the -org-type flag takes.
func orgTypeList() string {
	names := make([]string, len(domain.OrgTypes))
	for i, t := range domain.OrgTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// run handles `cmcoord admin create -email E -name N [-org NAME …]`:
// it creates a global administrator, reading the password from stdin
// (prompted twice without echo on a terminal; the first line otherwise,
// so scripts can pipe it).
func (o *adminOpts) run(ctx context.Context, e env, cfg config.Config, _ []string) error {
	email, name, org := &o.email, &o.name, o.org
	if *email == "" || *name == "" {
		return errors.New("admin create: -email and -name are required")
	}
	org.Type = domain.OrgType(o.orgType)
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	u, err := a.directory.CreateAdmin(ctx, *email, *name, password, org)
	if err != nil {
		return describe(err)
	}
	_, err = fmt.Fprintf(e.stdout, "Created administrator %s <%s> (user %d).\n", u.Name, u.Email, u.ID)
	return err
}

// readPassword reads a password from stdin: twice, without echo, on a
// terminal; otherwise the first line.
func readPassword(e env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password (at least 12 characters): ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Same password again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the two passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// tokenOpts are the flags of `cmcoord token create`.
type tokenOpts struct {
	email, name, scope string
	days               int
}

func (o *tokenOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.email, "email", "", "the user's e-mail address (required)")
	fs.StringVar(&o.name, "name", "command line", "a name to recognise the token by")
	fs.StringVar(&o.scope, "scope", "full", "what the token may do: read (GET and HEAD only) or full")
	fs.IntVar(&o.days, "expires-days", 0, "days until the token stops working; 0 never")
}

// run handles `cmcoord token create -email E [-name N] [-scope S]
// [-expires-days D]`: it prints a new API token for the user once; only
// its hash is stored.
func (o *tokenOpts) run(ctx context.Context, e env, cfg config.Config, _ []string) error {
	email, name := &o.email, &o.name
	if *email == "" {
		return errors.New("token create: -email is required")
	}
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	t := domain.NewToken{Name: *name, Scope: domain.TokenScope(o.scope)}
	if o.days > 0 {
		at := time.Now().Add(time.Duration(o.days) * 24 * time.Hour)
		t.ExpiresAt = &at
	}
	secret, tok, err := a.access.IssueTokenForEmail(ctx, *email, t)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.stderr, "Token %q (%s…) for %s. It is shown only now; store it safely.\n", tok.Name, tok.Prefix, *email)
	_, err = fmt.Fprintln(e.stdout, secret)
	return err
}

// describe turns a domain error into a sentence for the terminal.
func describe(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	msg := map[string]string{
		"error.not_found":      "no such user",
		"user.disabled":        "the user is disabled",
		"user.email_taken":     "a user with this e-mail address already exists",
		"field.required":       "a value is missing",
		"field.email":          "not a valid e-mail address",
		"field.password_short": "the password is too short (at least 12 characters)",
		"password.too_long":    "the password is too long (at most 128 characters)",
		"password.common":      "the password is on the list of common or breached passwords",
		"password.predictable": "the password is a repeat or a sequence",
		"password.personal":    "the password contains the account's name or e-mail address",
		"field.choose":         "not one of the allowed values",
		"token.expiry_range":   "the expiry must be in the future and within five years",
		"token.factor_required": "the user must set up a second factor first: " +
			"sign in on the web, where the set-up page follows the password",
	}
	var parts []string
	if m, ok := msg[de.Message]; ok {
		parts = append(parts, m)
	}
	for field, key := range de.Fields {
		text := msg[key]
		if text == "" {
			text = key
		}
		parts = append(parts, field+": "+text)
	}
	if len(parts) == 0 {
		parts = append(parts, de.Message)
	}
	return errors.New(strings.Join(parts, "; "))
}
