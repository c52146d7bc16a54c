package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// TestBackgroundCheckpoint: committed pages reach the database file
// without any commit running a checkpoint (the writer's own threshold is
// far above what the test writes).
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	s := openTemp(t, path)
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	note := strings.Repeat("x", 2000)
	for i := range 10 {
		err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
			for j := range 100 {
				e := &ngsild.Entity{ID: fmt.Sprintf("urn:ngsi-ld:Sensor:%d-%d", i, j), Types: []string{benchNS + "Sensor"},
					Attrs: map[string][]*ngsild.Attribute{benchNS + "note": {{Type: ngsild.TypeProperty, Value: note}}}}
				if err := tx.Put(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// About 2 MB were written, far below walBackstopPages.
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+2_000_000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after %d background checkpoints, want the 2 MB written", size(), s.ckpt.runs.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
