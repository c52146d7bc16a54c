package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// contextServer serves the user @context documents that cases publish,
// at URLs under the callback URL.
type contextServer struct {
	base string // callback URL without a trailing slash
	srv  *http.Server
	mu   sync.Mutex
	docs map[string][]byte
	// inbox receives notifications (notifications.go).
	inbox inboxes
}

// startContextServer starts the callback listener when the configuration
// gives one, or when the product runs on a loopback address. It returns
// nil when the suite cannot be reached by the server.
func startContextServer(cfg Config, base *url.URL) (*contextServer, error) {
	ln := cfg.Listener
	callback := strings.TrimSuffix(cfg.CallbackURL, "/")
	switch {
	case ln != nil:
	case callback != "":
		addr := cfg.ListenAddr
		if addr == "" {
			u, _ := url.Parse(callback)
			port := u.Port()
			if port == "" {
				port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
			}
			addr = ":" + port
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("listening for callbacks on %s: %w", addr, err)
		}
	case isLoopback(base.Hostname()):
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, nil // no callbacks: the cases that need them are skipped
		}
	default:
		return nil, nil
	}
	if callback == "" {
		callback = "http://" + ln.Addr().String()
	}
	s := &contextServer{base: callback, docs: map[string][]byte{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *contextServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		_ = s.srv.Close()
	}
}

// publish serves {"@context": terms} and returns its URL.
func (s *contextServer) publish(name string, terms map[string]any) string {
	body, _ := json.Marshal(map[string]any{"@context": terms})
	path := "/contexts/" + url.PathEscape(strings.ReplaceAll(name, ":", "-")) + ".jsonld"
	s.mu.Lock()
	s.docs[path] = body
	s.mu.Unlock()
	return s.base + path
}

func (s *contextServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.inbox.serve(w, r) {
		return
	}
	s.mu.Lock()
	body, ok := s.docs[r.URL.Path]
	s.mu.Unlock()
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", MediaJSONLD)
	_, _ = w.Write(body)
}
