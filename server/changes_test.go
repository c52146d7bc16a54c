package server

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/sqlite"
)

// plainTx hides the SharedGetter of a store's transaction.
type plainTx struct{ store.Tx }

// TestRecordedChangesKeepTheStateBefore: a handler that changes the
// entity it read records the state before and after the change, whether
// the store shares its entities (store.SharedGetter) or not, and its
// change never reaches the store's copy: a rolled-back write leaves the
// entity as it was.
func TestRecordedChangesKeepTheStateBefore(t *testing.T) {
	const id = "urn:ngsi-ld:Sensor:rec"
	name := "https://opentid.example/ns/level"
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	levelOf := func(e *ngsild.Entity) string {
		if e == nil || len(e.Attrs[name]) == 0 {
			return "none"
		}
		return string(e.Attrs[name][0].Value.(json.Number))
	}
	for _, shared := range []bool{true, false} {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "rec.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		update := func(fn func(*recordingTx) error) error {
			return st.Update(context.Background(), "", func(tx store.Tx) error {
				if !shared {
					tx = plainTx{tx}
				}
				return fn(&recordingTx{Tx: tx})
			})
		}
		setLevel := func(rec *recordingTx, v string) error {
			e, err := rec.Get(id)
			if err != nil {
				return err
			}
			e.Attrs[name][0].Value = json.Number(v)
			return rec.Put(e)
		}
		err = update(func(rec *recordingTx) error {
			return rec.Put(&ngsild.Entity{ID: id, Types: []string{"https://opentid.example/ns/Sensor"}, CreatedAt: at, ModifiedAt: at,
				Attrs: map[string][]*ngsild.Attribute{name: {{Type: ngsild.TypeProperty, Value: json.Number("1"), CreatedAt: at, ModifiedAt: at}}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		var changes []Change
		err = update(func(rec *recordingTx) error {
			if err := setLevel(rec, "2"); err != nil {
				return err
			}
			if err := setLevel(rec, "3"); err != nil {
				return err
			}
			changes = rec.changes
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || levelOf(changes[0].Old) != "1" || levelOf(changes[0].New) != "3" {
			t.Fatalf("shared %v: changes %d, level %s -> %s, want one change 1 -> 3", shared, len(changes), levelOf(changes[0].Old), levelOf(changes[0].New))
		}
		boom := errors.New("boom")
		err = update(func(rec *recordingTx) error {
			if err := setLevel(rec, "4"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("shared %v: Update: %v", shared, err)
		}
		err = update(func(rec *recordingTx) error {
			e, err := rec.Get(id)
			if err == nil && levelOf(e) != "3" {
				err = errors.New("level " + levelOf(e) + " after a rolled-back change, want 3")
			}
			if err == nil && levelOf(changes[0].Old) != "1" {
				err = errors.New("the recorded state before became " + levelOf(changes[0].Old))
			}
			return err
		})
		if err != nil {
			t.Fatalf("shared %v: %v", shared, err)
		}
	}
}
