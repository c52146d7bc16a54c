// Command opentid is the OpenTID program: the reference server (serve),
// the conformance suite (conformance) and the tools around them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if !errors.As(err, &ue) || ue.msg != "" {
			fmt.Fprintln(os.Stderr, "opentid:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError is a wrong command line; its exit status is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

const usage = `opentid: the OpenTID reference server and tools

Usage:
  opentid serve [flags]          run the reference server (NGSI-LD API on port 1026)
  opentid conformance [flags]    run the conformance suite against a product's base URL
  opentid validate FILE|DIR|-    check entity documents against the OpenTID data models
  opentid load [flags]           drive a server on this machine with load and report latencies
  opentid version                print the program and specification versions

Run "opentid COMMAND -h" for the flags of a command.
`

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"missing command"}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "conformance":
		return runConformance(ctx, args[1:], getenv, stdout, stderr)
	case "load":
		return runLoad(ctx, args[1:], getenv, stdout, stderr)
	case "validate":
		return runValidate(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		return runVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}
