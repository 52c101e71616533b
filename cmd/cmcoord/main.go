// Command cmcoord is the one cmcoord binary: the web server, migrations,
// demo data and administration commands, with migrations and web assets
// embedded. Run `cmcoord help` for the subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "dev") {
		tuneGC() // the process is a server (tests run servers inside their own process, untouched)
	}
	err := run(ctx, env{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	if err != nil {
		if err != errUsage {
			fmt.Fprintln(os.Stderr, "cmcoord:", err)
		}
		os.Exit(1)
	}
}
