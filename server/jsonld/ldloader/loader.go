// Package ldloader fetches remote JSON-LD @context documents for the
// jsonld package: over HTTP(S), or from local files preloaded for servers
// without network access.
package ldloader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/opentid/opentid/server/jsonld"
)

const (
	defaultTimeout  = 5 * time.Second
	defaultMaxBytes = 1 << 20
	maxRedirects    = 10
	acceptHeader    = "application/ld+json, application/json;q=0.9"
)

// Options configures a Loader.
type Options struct {
	// Timeout bounds each fetch; default 5s.
	Timeout time.Duration
	// Files maps context URLs to local files. A URL in the map is read
	// from its file and never fetched over the network.
	Files map[string]string
	// Client, if set, is used for network fetches; its redirect policy
	// applies.
	Client *http.Client
	// MaxBytes bounds the size of a document; default 1 MiB.
	MaxBytes int64
	// Offline refuses every network fetch: only Files are served.
	Offline bool
}

// Loader implements jsonld.Loader.
type Loader struct {
	timeout  time.Duration
	files    map[string]string
	client   *http.Client
	maxBytes int64
	offline  bool
}

var _ jsonld.Loader = (*Loader)(nil)

var errTooManyRedirects = errors.New("too many redirects")

// New returns a Loader.
func New(opts Options) *Loader {
	l := &Loader{
		timeout:  opts.Timeout,
		files:    make(map[string]string, len(opts.Files)),
		client:   opts.Client,
		maxBytes: opts.MaxBytes,
		offline:  opts.Offline,
	}
	if l.timeout <= 0 {
		l.timeout = defaultTimeout
	}
	if l.maxBytes <= 0 {
		l.maxBytes = defaultMaxBytes
	}
	for u, p := range opts.Files {
		l.files[u] = p
	}
	if l.client == nil {
		l.client = &http.Client{
			CheckRedirect: func(_ *http.Request, via []*http.Request) error {
				if len(via) >= maxRedirects {
					return errTooManyRedirects
				}
				return nil
			},
		}
	}
	return l
}

// Load returns the JSON document at rawURL. Every error wraps
// jsonld.ErrContextNotAvailable.
func (l *Loader) Load(ctx context.Context, rawURL string) ([]byte, error) {
	data, err := l.load(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", jsonld.ErrContextNotAvailable, rawURL, err)
	}
	return data, nil
}

func (l *Loader) load(ctx context.Context, rawURL string) ([]byte, error) {
	if path, ok := l.files[rawURL]; ok {
		return l.readFile(path)
	}
	if l.offline {
		return nil, errors.New("network fetches are disabled")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported URL scheme %q", u.Scheme)
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptHeader)
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	if resp.ContentLength > l.maxBytes {
		return nil, fmt.Errorf("document of %d bytes exceeds the limit of %d", resp.ContentLength, l.maxBytes)
	}
	if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	return l.readLimited(resp.Body)
}

func (l *Loader) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return l.readLimited(f)
}

// readLimited reads a JSON document of at most maxBytes.
func (l *Loader) readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, l.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > l.maxBytes {
		return nil, fmt.Errorf("document exceeds the limit of %d bytes", l.maxBytes)
	}
	if !json.Valid(data) {
		return nil, errors.New("document is not valid JSON")
	}
	return data, nil
}

// checkContentType accepts JSON media types, and, since some public hosts
// serve contexts so, text/plain, application/octet-stream and none at all;
// the body must be valid JSON in every case.
func checkContentType(header string) error {
	if header == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return fmt.Errorf("bad content type %q: %w", header, err)
	}
	switch {
	case mt == "application/json", mt == "application/ld+json", strings.HasSuffix(mt, "+json"),
		mt == "text/plain", mt == "application/octet-stream":
		return nil
	}
	return fmt.Errorf("content type %q is not JSON", mt)
}

// ParseFileMap parses "URL=path,URL2=path2" (the value of the context file
// flag or environment variable) into a URL → path map. The last '=' of an
// item separates the URL from the path, so URLs may carry query strings.
func ParseFileMap(s string) (map[string]string, error) {
	m := make(map[string]string)
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndexByte(item, '=')
		if i < 0 {
			return nil, fmt.Errorf("context file %q: want URL=path", item)
		}
		rawURL, path := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
		u, err := url.Parse(rawURL)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return nil, fmt.Errorf("context file %q: %q is not an absolute URL", item, rawURL)
		}
		if path == "" {
			return nil, fmt.Errorf("context file %q: empty path", item)
		}
		if _, dup := m[rawURL]; dup {
			return nil, fmt.Errorf("context file %q: URL given twice", rawURL)
		}
		m[rawURL] = path
	}
	return m, nil
}
