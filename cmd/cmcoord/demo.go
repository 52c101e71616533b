package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/demo"
)

// runDemo loads the demo data into cfg.DatabaseURL (once) and prints the
// demo logins.
func runDemo(ctx context.Context, e env, cfg config.Config, _ []string) error {
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.loadDemo(ctx)
	if err != nil {
		return err
	}
	printDemo(e.stdout, res, "")
	return nil
}

func (a *app) loadDemo(ctx context.Context) (demo.Result, error) {
	return demo.Load(ctx, demo.Services{System: a.system, Access: a.access, Directory: a.directory, Requests: a.requests, Reviews: a.reviews, Lifecycle: a.lifecycle, Attachments: a.attach})
}

// printDemo tells the person trying cmcoord out what was loaded and how to
// sign in.
func printDemo(w io.Writer, res demo.Result, baseURL string) {
	if res.Loaded {
		fmt.Fprintln(w, "Demo data loaded.")
	} else {
		fmt.Fprintln(w, "Demo data was loaded on an earlier run; left as it is.")
	}
	if baseURL != "" {
		fmt.Fprintf(w, "\n  cmcoord is serving at %s (Ctrl-C to stop)\n", baseURL)
	}
	fmt.Fprintln(w, "\n  Demo logins (every password is the same):")
	for _, l := range res.Logins {
		fmt.Fprintf(w, "    %-24s %q  %s\n", l.Email, l.Password, l.Role)
	}
	fmt.Fprintln(w)
}
