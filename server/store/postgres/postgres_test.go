package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/storetest"
)

// The tests need a PostgreSQL server: OPENTID_TEST_POSTGRES holds its
// URL. Each store of a test gets its own schema, dropped at the end.

func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("OPENTID_TEST_POSTGRES")
	if url == "" {
		tb.Skip("set OPENTID_TEST_POSTGRES to a PostgreSQL URL to run this test, e.g. OPENTID_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	return url
}

// openTest opens a store in a fresh schema, dropped when the test ends.
func openTest(tb testing.TB, opts Options) *Store {
	tb.Helper()
	url := testURL(tb)
	if opts.Schema == "" {
		opts.Schema = fmt.Sprintf("opentid_test_%d_%x", os.Getpid(), rand.Uint64())
	}
	ctx := context.Background()
	s, err := Open(ctx, url, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { dropSchema(tb, url, opts.Schema) })
	return s
}

func dropSchema(tb testing.TB, url, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Errorf("drop schema: %v", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		tb.Errorf("drop schema: %v", err)
	}
}

func TestStore(t *testing.T) {
	testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, Options{PartitionMonthsBack: 1, PartitionMonthsAhead: 1})
	})
}
