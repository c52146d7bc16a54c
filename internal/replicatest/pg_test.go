package replicatest

import (
	"context"
	"fmt"
	"math/rand/v2"
	neturl "net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// postgresURL returns the URL of the test server, or skips the test.
func postgresURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("OPENTID_TEST_POSTGRES")
	if url == "" {
		tb.Skip("set OPENTID_TEST_POSTGRES to a PostgreSQL URL to run this test, e.g. OPENTID_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	return url
}

// freshDatabase creates a database for the test, dropped at its end, and
// returns its URL. A database rather than a schema: server processes
// open it through "opentid serve --db URL".
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	base := postgresURL(tb)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("opentid_test_%d_%x", os.Getpid(), rand.Uint64())
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			tb.Errorf("drop database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database: %v", err)
		}
	})
	return withDatabase(base, name)
}

// withDatabase returns url with its database replaced by name.
func withDatabase(url, name string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return url
	}
	u.Path = "/" + name
	return u.String()
}
