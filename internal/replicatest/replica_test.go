package replicatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestReplicas runs three "opentid serve" processes on one database,
// spreads subscriptions and writes across them, and checks that:
//
//   - every notification arrives exactly once while all of them run;
//   - a periodic subscription notifies at its interval, not once per
//     replica;
//   - after one is killed during delivery, every notification still
//     arrives (at least once: the killed process's claims are delivered
//     again when their lease expires).
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("the kill phase waits for a notification lease to expire (about a minute)")
	}
	url := freshDatabase(t)
	bin := filepath.Join(t.TempDir(), "opentid")
	build := exec.Command("go", "build", "-o", bin, "github.com/opentid/opentid/cmd/opentid")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rec := newReceiver(5 * time.Millisecond)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)

	var replicas []*replica
	for i := range 3 {
		replicas = append(replicas, startReplica(t, bin, url, i))
	}

	// Phase 1: subscriptions and writes spread over the three replicas.
	const subs, rounds = 6, 20
	for i := range subs {
		createEntity(t, replicas[(i+1)%3], i)
		createSubscription(t, replicas[i%3], i, srv.URL)
	}
	write := func(round int) {
		for i := range subs {
			patch(t, replicas[(round+i)%len(replicas)], i, round)
		}
	}
	for r := range rounds {
		write(r)
	}
	want := func(from, to int) map[key]bool {
		m := map[key]bool{}
		for i := range subs {
			for r := from; r < to; r++ {
				m[key{i, r}] = true
			}
		}
		return m
	}
	rec.waitFor(t, want(0, rounds), 30*time.Second)
	if dups := rec.duplicates(); len(dups) > 0 {
		t.Errorf("while every replica runs, notifications arrived more than once: %v", dups)
	}

	// A periodic subscription: one notification per interval, whichever
	// replica sends it.
	createPeriodic(t, replicas[1], srv.URL)
	time.Sleep(6500 * time.Millisecond)
	if n := rec.periodicCount(); n < 2 || n > 5 {
		t.Errorf("a periodic subscription of 2 s notified %d times in 6.5 s over 3 replicas; want 3 or 4", n)
	}

	// Phase 2: kill a replica while deliveries are under way; the two
	// others take over its claims once their lease expires.
	rec.setDelay(50 * time.Millisecond)
	for r := rounds; r < 2*rounds; r++ {
		write(r)
	}
	time.Sleep(300 * time.Millisecond)
	replicas[0].kill(t)
	survivors := replicas[1:]
	for r := 2 * rounds; r < 2*rounds+5; r++ {
		for i := range subs {
			patch(t, survivors[(r+i)%2], i, r)
		}
	}
	rec.setDelay(0)
	rec.waitFor(t, want(0, 2*rounds+5), 3*time.Minute)
	t.Logf("after the kill: %d notifications delivered again (at least once)", len(rec.duplicates()))
}

// key names one expected notification: subscription i, value r.
type key struct{ sub, value int }

// receiver records the notifications it receives.
type receiver struct {
	mu       sync.Mutex
	delay    time.Duration
	got      map[key]int
	periodic int
}

func newReceiver(delay time.Duration) *receiver {
	return &receiver{delay: delay, got: map[key]int{}}
}

func (rc *receiver) setDelay(d time.Duration) {
	rc.mu.Lock()
	rc.delay = d
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	delay := rc.delay
	rc.mu.Unlock()
	time.Sleep(delay)
	var note struct {
		SubscriptionID string           `json:"subscriptionId"`
		Data           []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &note); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if note.SubscriptionID == periodicID {
		rc.periodic++
		w.WriteHeader(http.StatusNoContent)
		return
	}
	sub, err := strconv.Atoi(note.SubscriptionID[len(subPrefix):])
	if err != nil {
		http.Error(w, "unknown subscription", http.StatusBadRequest)
		return
	}
	for _, e := range note.Data {
		a, _ := e["count"].(map[string]any)
		v, ok := a["value"].(float64)
		if !ok {
			continue
		}
		rc.got[key{sub, int(v)}]++
	}
	w.WriteHeader(http.StatusNoContent)
}

// waitFor waits until every key of want has arrived.
func (rc *receiver) waitFor(t *testing.T, want map[key]bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rc.mu.Lock()
		var missing []key
		for k := range want {
			if rc.got[k] == 0 {
				missing = append(missing, k)
			}
		}
		rc.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications never arrived, e.g. %v", len(missing), missing[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (rc *receiver) duplicates() []key {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []key
	for k, n := range rc.got {
		if n > 1 {
			out = append(out, k)
		}
	}
	return out
}

func (rc *receiver) periodicCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.periodic
}

// replica is one "opentid serve" process.
type replica struct {
	base string
	cmd  *exec.Cmd
}

func startReplica(t *testing.T, bin, url string, i int) *replica {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--db", url, "--addr", addr, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "OPENTID_ALLOW_PRIVATE_ENDPOINTS=true", "OPENTID_OFFLINE_CONTEXTS=true")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{base: "http://" + addr + "/ngsi-ld/v1", cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("replica %d output:\n%s", i, logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(r.base + "/types")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %d did not start: %v\n%s", i, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const (
	subPrefix  = "urn:ngsi-ld:Subscription:replica-"
	periodicID = "urn:ngsi-ld:Subscription:periodic"
)

func entityID(i int) string { return fmt.Sprintf("urn:ngsi-ld:Counter:%d", i) }

func send(t *testing.T, r *replica, method, path string, body any, want int) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, r.base+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, msg, want)
	}
}

func createEntity(t *testing.T, r *replica, i int) {
	send(t, r, http.MethodPost, "/entities", map[string]any{
		"id": entityID(i), "type": "Counter", "count": map[string]any{"type": "Property", "value": -1},
	}, http.StatusCreated)
}

func createSubscription(t *testing.T, r *replica, i int, endpoint string) {
	send(t, r, http.MethodPost, "/subscriptions", map[string]any{
		"id": fmt.Sprintf("%s%d", subPrefix, i), "type": "Subscription",
		"entities":          []any{map[string]any{"id": entityID(i), "type": "Counter"}},
		"watchedAttributes": []string{"count"},
		"notification":      map[string]any{"endpoint": map[string]any{"uri": endpoint + "/notify", "accept": "application/json"}},
	}, http.StatusCreated)
}

func createPeriodic(t *testing.T, r *replica, endpoint string) {
	send(t, r, http.MethodPost, "/subscriptions", map[string]any{
		"id": periodicID, "type": "Subscription",
		"entities":     []any{map[string]any{"type": "Counter"}},
		"timeInterval": 2,
		"notification": map[string]any{"endpoint": map[string]any{"uri": endpoint + "/notify", "accept": "application/json"}},
	}, http.StatusCreated)
}

func patch(t *testing.T, r *replica, i, value int) {
	send(t, r, http.MethodPatch, "/entities/"+entityID(i)+"/attrs", map[string]any{
		"count": map[string]any{"type": "Property", "value": value},
	}, http.StatusNoContent)
}
