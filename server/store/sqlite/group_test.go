package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// TestGroupCommit makes concurrent callers share one transaction for sure
// (the first one waits inside its work until all the others are queued)
// and checks that a failing, a panicking and an exiting caller roll back
// their own writes only, that the others see the writes before them, and
// that every successful caller returns after the one commit.
func TestGroupCommit(t *testing.T) {
	t.Run("first succeeds", func(t *testing.T) { testGroupCommit(t, false) })
	// The first member runs without a savepoint: its failure rolls back
	// the transaction, and the queued callers go on in a new one.
	t.Run("first fails", func(t *testing.T) { testGroupCommit(t, true) })
}

func testGroupCommit(t *testing.T, firstFails bool) {
	s := openTemp(t, filepath.Join(t.TempDir(), "group.db"))
	defer s.Close()
	s.gc.budget = time.Hour // the first caller's wait must not end the group
	ctx := context.Background()
	const callers = 12
	boom := errors.New("boom")
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ent := func(i int) *ngsild.Entity {
		return &ngsild.Entity{ID: fmt.Sprintf("urn:ngsi-ld:Sensor:g%02d", i), Types: []string{"https://opentid.example/ns/Sensor"},
			Attrs: map[string][]*ngsild.Attribute{"https://opentid.example/ns/n": {{
				Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(i)), CreatedAt: now, ModifiedAt: now}}},
			CreatedAt: now, ModifiedAt: now}
	}
	groupsBefore := s.gc.groups

	firstIn := make(chan struct{})
	errs := make([]error, callers)
	seen := make([]int, callers) // entities of the group visible to caller i
	var wg sync.WaitGroup
	run := func(i int) {
		defer wg.Done()
		defer func() {
			if p := recover(); p != nil {
				errs[i] = fmt.Errorf("panic: %v", p)
			}
		}()
		done := false
		defer func() {
			if !done && errs[i] == nil {
				errs[i] = errors.New("goroutine exited")
			}
		}()
		errs[i] = s.Update(ctx, "group", func(tx store.Tx) error {
			if i == 0 {
				close(firstIn)
				waitQueued(s, callers-1)
			}
			if err := tx.Put(ent(i)); err != nil {
				return err
			}
			res, err := tx.Query(store.EntityQuery{Count: true})
			if err != nil {
				return err
			}
			seen[i] = res.Total
			switch {
			case i == 0 && firstFails:
				return boom
			case i == 3, i == 7:
				return boom
			case i == 5:
				panic(boom)
			case i == 9:
				runtime.Goexit()
			}
			return nil
		})
		done = true
	}
	wg.Add(1)
	go run(0)
	<-firstIn
	for i := 1; i < callers; i++ {
		wg.Add(1)
		go run(i)
	}
	wg.Wait()

	wantGroups := int64(1)
	if firstFails {
		wantGroups = 2
	}
	if got := s.gc.groups - groupsBefore; got != wantGroups {
		t.Errorf("%d transactions for %d concurrent callers, want %d", got, callers, wantGroups)
	}
	var want []string
	for i := range callers {
		switch {
		case i == 0 && firstFails, i == 3, i == 7:
			if !errors.Is(errs[i], boom) {
				t.Errorf("caller %d: %v, want %v", i, errs[i], boom)
			}
		case i == 5, i == 9:
			if errs[i] == nil {
				t.Errorf("caller %d: no error", i)
			}
		default:
			if errs[i] != nil {
				t.Errorf("caller %d: %v", i, errs[i])
			}
			want = append(want, ent(i).ID)
		}
	}
	// The first caller saw its own write; the last kept one saw all.
	top := 0
	for _, n := range seen {
		top = max(top, n)
	}
	if top != len(want) && top != len(want)+1 { // +1: a failing caller ran last
		t.Errorf("the last caller saw %d entities, want %d", top, len(want))
	}
	if seen[0] != 1 {
		t.Errorf("first caller saw %d entities, want 1", seen[0])
	}
	err := s.View(ctx, "group", func(r store.Reader) error {
		res, err := r.Query(store.EntityQuery{Limit: 100, Count: true})
		if err != nil {
			return err
		}
		var got []string
		for _, e := range res.Entities {
			got = append(got, e.ID)
		}
		if len(got) != len(want) {
			return fmt.Errorf("entities after the group: %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	// The store keeps working after a panic and a Goexit.
	if err := s.Update(ctx, "group", func(tx store.Tx) error { return tx.Put(ent(0)) }); err != nil {
		t.Fatalf("Update after the group: %v", err)
	}
}

// waitQueued returns when n callers are queued for the writer's turn.
func waitQueued(s *Store, n int) {
	for {
		s.gc.mu.Lock()
		q := s.gc.queued
		s.gc.mu.Unlock()
		if q == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupBudget: once the members of a group have worked for the
// budget, the group commits and the queued callers start another one.
func TestGroupBudget(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "budget.db"))
	defer s.Close()
	before := s.gc.groups
	const callers = 3
	firstIn := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(context.Background(), "budget", func(tx store.Tx) error {
				if i == 0 {
					close(firstIn)
					waitQueued(s, callers-1)
				}
				time.Sleep(groupBudget + time.Millisecond) // a large write
				return tx.Put(&ngsild.Entity{ID: fmt.Sprintf("urn:ngsi-ld:Sensor:b%d", i), Types: []string{benchNS + "Sensor"}})
			})
			if err != nil {
				t.Error(err)
			}
		}()
		if i == 0 {
			<-firstIn
		}
	}
	wg.Wait()
	if got := s.gc.groups - before; got != callers {
		t.Errorf("%d transactions for %d callers over the budget, want one each", got, callers)
	}
}
