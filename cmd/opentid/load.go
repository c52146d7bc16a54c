package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/opentid/opentid/internal/loadgen"
)

// runLoad is "opentid load": the load program, run against a server on
// this machine.
func runLoad(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg loadgen.Config
	fs := flag.NewFlagSet("opentid load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.BaseURL, "base-url", "http://127.0.0.1:1026/ngsi-ld/v1", "API root of the server under load")
	var names []string
	for name, about := range loadgen.Scenarios() {
		names = append(names, fmt.Sprintf("%s (%s)", name, about))
	}
	slices.Sort(names)
	fs.StringVar(&cfg.Scenario, "scenario", "create", "one of: "+strings.Join(names, "; "))
	fs.IntVar(&cfg.Concurrency, "c", 16, "concurrent clients (closed loop)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second (open loop); 0 for closed loop")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&cfg.Requests, "n", 0, "stop after this many requests (0: no limit)")
	fs.IntVar(&cfg.Batch, "batch", 100, "entities per batch request")
	fs.IntVar(&cfg.Entities, "entities", 10000, "entities prepared for the read scenarios")
	fs.StringVar(&cfg.Tenant, "tenant", "", "NGSILD-Tenant to send")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a base URL that is not on the loopback interface")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the generated data")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{}
		}
		return usageError{err.Error()}
	}
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, res.String())
	return err
}
