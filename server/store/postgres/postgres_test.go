package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

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

// TestPartitionsAhead: while the store is open, the months ahead get
// their partitions as time passes.
func TestPartitionsAhead(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	s := openTest(t, Options{PartitionMonthsBack: 1, PartitionMonthsAhead: 1, PartitionCheck: 10 * time.Millisecond,
		now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	defer s.Close()
	later := time.Now().AddDate(0, 7, 0)
	name := fmt.Sprintf("hist_instances_p%04d%02d", later.Year(), later.Month())
	exists := func() bool {
		var ok bool
		if err := s.pool.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if exists() {
		t.Fatalf("partition %s exists at start", name)
	}
	mu.Lock()
	clock = later.AddDate(0, -1, 0) // a month before: the month ahead is later's
	mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !exists() {
		if time.Now().After(deadline) {
			t.Fatalf("partition %s not created by the background checks", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
