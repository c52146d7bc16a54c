package ldloader

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opentid/opentid/server/jsonld"
)

const doc = `{"@context": {"speed": "https://example.org/speed"}}`

// contextServer serves doc under /ctx with the given content type and
// counts the requests; /fail answers 500 while failing is set.
type contextServer struct {
	*httptest.Server
	hits    atomic.Int64
	failing atomic.Bool
	accept  atomic.Value
}

func newContextServer(t *testing.T) *contextServer {
	s := &contextServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ctx", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.accept.Store(r.Header.Get("Accept"))
		if s.failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		ct := r.URL.Query().Get("ct")
		if ct == "" {
			ct = "application/ld+json"
		}
		w.Header().Set("Content-Type", ct)
		body := doc
		if r.URL.Query().Get("body") == "html" {
			body = "<html></html>"
		}
		_, _ = w.Write([]byte(body))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ctx", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"@context": {}, "pad": "` + strings.Repeat("x", 4096) + `"}`))
	})
	mux.HandleFunc("/bigchunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"@context": {}, "pad": "`))
		w.(http.Flusher).Flush()
		_, _ = w.Write([]byte(strings.Repeat("x", 4096) + `"}`))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestLoad(t *testing.T) {
	s := newContextServer(t)
	tests := []struct {
		name string
		path string
		ok   bool
	}{
		{"ld+json", "/ctx", true},
		{"json", "/ctx?ct=application/json;charset=utf-8", true},
		{"+json suffix", "/ctx?ct=application/vnd.example%2Bjson", true},
		{"text/plain with JSON", "/ctx?ct=text/plain", true},
		{"redirect", "/redirect", true},
		{"text/html", "/ctx?ct=text/html", false},
		{"not JSON", "/ctx?ct=text/plain&body=html", false},
		{"not found", "/missing", false},
		{"redirect loop", "/loop", false},
		{"oversized", "/big", false},
		{"oversized without length", "/bigchunked", false},
	}
	l := New(Options{MaxBytes: 1024})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := l.Load(context.Background(), s.URL+tt.path)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(doc, string(data)); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, jsonld.ErrContextNotAvailable) {
				t.Errorf("error = %v, want ErrContextNotAvailable", err)
			}
		})
	}
	if got := s.accept.Load(); got != acceptHeader {
		t.Errorf("Accept = %q, want %q", got, acceptHeader)
	}
}

func TestLoadTimeout(t *testing.T) {
	s := newContextServer(t)
	l := New(Options{Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := l.Load(context.Background(), s.URL+"/slow")
	if !errors.Is(err, jsonld.ErrContextNotAvailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want ErrContextNotAvailable and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestLoadFilesAndOffline(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctx.jsonld")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newContextServer(t)
	u := s.URL + "/ctx"
	l := New(Options{Files: map[string]string{u: path, "https://missing.example/c": filepath.Join(dir, "nope")}, Offline: true})
	data, err := l.Load(context.Background(), u)
	if err != nil || string(data) != doc {
		t.Fatalf("Load(preloaded) = %q, %v", data, err)
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("the server was hit %d times for a preloaded URL", n)
	}
	for _, bad := range []string{"https://missing.example/c", s.URL + "/redirect", "ftp://example.org/c"} {
		if _, err := l.Load(context.Background(), bad); !errors.Is(err, jsonld.ErrContextNotAvailable) {
			t.Errorf("Load(%q) error = %v, want ErrContextNotAvailable", bad, err)
		}
	}
	online := New(Options{Files: map[string]string{u: path}})
	if _, err := online.Load(context.Background(), u); err != nil || s.hits.Load() != 0 {
		t.Errorf("a preloaded URL was fetched over the network (err %v)", err)
	}
}

func TestProcessorWithLoader(t *testing.T) {
	s := newContextServer(t)
	p := jsonld.NewProcessor(jsonld.Options{Loader: New(Options{})})
	u := s.URL + "/ctx"
	s.failing.Store(true)
	if _, err := p.Context(context.Background(), u); !errors.Is(err, jsonld.ErrContextNotAvailable) {
		t.Fatalf("error = %v, want ErrContextNotAvailable", err)
	}
	s.failing.Store(false)
	for i := 0; i < 20; i++ {
		c, err := p.Context(context.Background(), []any{u, map[string]any{"n": "https://example.org/n" + strings.Repeat("x", i)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ExpandTerm("speed"); got != "https://example.org/speed" {
			t.Fatalf("speed → %q", got)
		}
	}
	if n := s.hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (one failed, one cached)", n)
	}
}

func TestParseFileMap(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"https://a.example/c.jsonld=/etc/c.jsonld", map[string]string{"https://a.example/c.jsonld": "/etc/c.jsonld"}, false},
		{" https://a.example/a=a.json , https://b.example/b?v=2=b.json ,", map[string]string{"https://a.example/a": "a.json", "https://b.example/b?v=2": "b.json"}, false},
		{"https://a.example/a", nil, true},
		{"relative/url=a.json", nil, true},
		{"https://a.example/a=", nil, true},
		{"https://a.example/a=x,https://a.example/a=y", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseFileMap(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseFileMap(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
			t.Errorf("ParseFileMap(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}
