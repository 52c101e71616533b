package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/cmcoord/cmcoord/internal/config"
)

// env is everything a run of the binary receives from the outside world,
// so tests can run the whole program in-process.
type env struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// ready, when set, is called with the base URL once the server listens
	// (tests use it to learn the port of 127.0.0.1:0).
	ready func(baseURL string)
	// exit ends the process (the hard stop after -shutdown-timeout);
	// nil is os.Exit.
	exit func(code int)
}

// errUsage reports a usage error already explained on stderr.
var errUsage = errors.New("usage")

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, cfg config.Config, args []string) error
	// action, when set, is the one word that must follow the command
	// ("admin create"); flags, when set, registers the command's own flags.
	action string
	flags  func(fs *flag.FlagSet)
	// actions, when set, are the words one of which must follow the
	// command ("record verify"); its flags follow the word, and run gets
	// the word as its first argument.
	actions []string
}

// commands lists the subcommands. It builds fresh flag targets on every
// call, so concurrent runs (tests) share nothing.
func commands() []command {
	admin, token, audit, record := &adminOpts{}, &tokenOpts{}, &auditOpts{}, &recordOpts{}
	return []command{
		{"serve", "run the web server (migrates first unless -no-migrate)", runServe, "", nil, nil},
		{"dev", "find or start PostgreSQL, migrate, load demo data once, serve (what `make run` does)", runDev, "", nil, nil},
		{"migrate", "migrate up | down [N] | version", runMigrate, "", nil, nil},
		{"demo", "load the demo data (once; later runs do nothing)", runDemo, "", nil, nil},
		{"admin", "admin create -email E -name N [-org NAME]: create an administrator (password from stdin)", admin.run, "create", admin.register, nil},
		{"token", "token create -email E [-name N]: print a new API token for a user", token.run, "create", token.register, nil},
		{"audit", "audit verify [-directory-head SEQ:HASH]: check every request's hash-chained audit trail and the directory (security) log, optionally against a head recorded earlier (exit 1 when altered)", audit.run, "verify", audit.register, nil},
		{name: "record", summary: recordUsage, run: record.run, flags: record.register, actions: recordActions},
		{"version", "print the build version", runVersion, "", nil, nil},
	}
}

// run dispatches args[0] to its subcommand.
func run(ctx context.Context, e env) error {
	if len(e.args) == 0 || e.args[0] == "help" || e.args[0] == "-h" || e.args[0] == "--help" {
		usage(e.stdout)
		if len(e.args) == 0 {
			return errUsage
		}
		return nil
	}
	name := e.args[0]
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		args := e.args[1:]
		if c.action != "" {
			if len(args) == 0 || args[0] != c.action {
				fmt.Fprintf(e.stderr, "cmcoord: say `cmcoord %s %s`\n", name, c.action)
				return errUsage
			}
			name, args = name+" "+c.action, args[1:]
		}
		var action string
		if c.actions != nil {
			if len(args) == 0 || !slices.Contains(c.actions, args[0]) {
				fmt.Fprintf(e.stderr, "cmcoord: say `cmcoord %s %s`\n", name, strings.Join(c.actions, "|"))
				return errUsage
			}
			action, name, args = args[0], name+" "+args[0], args[1:]
		}
		// Flags may also follow an argument (`record verify FILE
		// -database-url U`): parsing goes on past each argument.
		var (
			cfg  config.Config
			rest []string
			err  error
			pos  []string
		)
		for {
			cfg, rest, err = config.LoadWith(name, args, e.getenv, e.stderr, c.flags)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			i := slices.IndexFunc(rest, func(a string) bool { return strings.HasPrefix(a, "-") && a != "-" })
			if i <= 0 || slices.Contains(args[:len(args)-len(rest)], "--") {
				pos = append(pos, rest...)
				break
			}
			pos = append(pos, rest[:i]...)
			args = append(slices.Clone(args[:len(args)-len(rest)]), rest[i:]...)
		}
		rest = pos
		if action != "" {
			rest = append([]string{action}, rest...)
		}
		return c.run(ctx, e, cfg, rest)
	}
	fmt.Fprintf(e.stderr, "cmcoord: unknown command %q\n\n", name)
	usage(e.stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: cmcoord <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `cmcoord <command> -h` for the flags; every flag has an environment variable (see README).")
}

// newLogger builds the process logger: text on a terminal, JSON otherwise,
// unless cfg says which.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// version returns the module version, or the VCS revision of a local build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return strings.TrimSpace(rev[:min(12, len(rev))] + dirty)
}

func runVersion(_ context.Context, e env, _ config.Config, _ []string) error {
	_, err := fmt.Fprintln(e.stdout, "cmcoord", version())
	return err
}
