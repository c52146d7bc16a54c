package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Notification is one notification the suite's receiver got.
type Notification struct {
	Header http.Header
	Body   map[string]any
	At     time.Time
}

// Inbox receives the notifications POSTed to one endpoint of the suite's
// callback listener.
type Inbox struct {
	URI string
	ch  chan Notification
	mu  sync.Mutex
	// fail answers that many requests with 500 before accepting.
	fail int
}

// inboxes routes the notifications of the callback listener by path.
type inboxes struct {
	mu    sync.Mutex
	boxes map[string]*Inbox
}

func (b *inboxes) add(path string, in *Inbox) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxes == nil {
		b.boxes = map[string]*Inbox{}
	}
	b.boxes[path] = in
}

// serve receives a notification; it reports false when path is not an
// inbox.
func (b *inboxes) serve(w http.ResponseWriter, r *http.Request) bool {
	b.mu.Lock()
	in := b.boxes[r.URL.Path]
	b.mu.Unlock()
	if in == nil {
		return false
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return true
	}
	in.mu.Lock()
	failing := in.fail > 0
	if failing {
		in.fail--
	}
	in.mu.Unlock()
	data, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if failing {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	}
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	_ = dec.Decode(&body)
	select {
	case in.ch <- Notification{Header: r.Header.Clone(), Body: body, At: time.Now()}:
	default: // a full inbox drops: the case reads what it needs
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// Inbox opens an endpoint of the suite's receiver for notifications and
// returns it. The case is skipped when the suite has no address the
// server can reach.
func (t *T) Inbox(name string) *Inbox {
	if t.run.contexts == nil {
		t.Skipf("precondition missing: the suite cannot receive notifications; set a callback URL")
	}
	path := "/notify/" + url.PathEscape(strings.ReplaceAll(t.prefix+"-"+name, ":", "-"))
	in := &Inbox{URI: t.run.contexts.base + path, ch: make(chan Notification, 256)}
	t.run.contexts.inbox.add(path, in)
	return in
}

// FailNext makes the endpoint answer the next n notifications with 500.
func (in *Inbox) FailNext(n int) {
	in.mu.Lock()
	in.fail = n
	in.mu.Unlock()
}

// Next waits up to d for a notification; ok is false when none came.
func (in *Inbox) Next(t *T, d time.Duration) (Notification, bool) {
	select {
	case n := <-in.ch:
		return n, true
	case <-time.After(d):
		return Notification{}, false
	case <-t.ctx.Done():
		t.Abortf("the case timed out waiting for a notification")
	}
	return Notification{}, false
}
