package main

import (
	"context"
	"io"

	"github.com/opentid/opentid/conformance/cli"
)

// runConformance runs the conformance suite; see conformance/README.md.
func runConformance(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return cli.Run(ctx, args, getenv, stdout, stderr)
}
