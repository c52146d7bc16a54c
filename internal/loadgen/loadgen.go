// Package loadgen is the load program of OpenTID: it drives an NGSI-LD
// API with realistic territorial traffic and reports throughput and
// latency percentiles. It measures closed loop (a fixed number of
// concurrent clients, as fast as the server answers) or open loop (a fixed
// arrival rate, where queueing shows in the latency), as recommended for
// fair broker comparisons.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one load run.
type Config struct {
	// BaseURL is the API root, e.g. http://127.0.0.1:1026/ngsi-ld/v1.
	BaseURL string
	// Scenario is one of Scenarios().
	Scenario string
	// Concurrency is the number of clients of a closed-loop run.
	Concurrency int
	// Rate, when positive, makes the run open loop: requests start at this
	// many per second, whatever the answers.
	Rate float64
	// Duration bounds the run; Requests, when positive, bounds it too.
	Duration time.Duration
	Requests int
	// Batch is the number of entities per batch request.
	Batch int
	// Entities is the size of the data set the read scenarios prepare.
	Entities int
	// Tenant, when set, is sent as NGSILD-Tenant.
	Tenant string
	// AllowRemote permits a base URL that is not on the loopback
	// interface.
	AllowRemote bool
	// Seed makes the generated data repeatable.
	Seed uint64
}

// Result summarizes a run.
type Result struct {
	Scenario    string
	Requests    int
	Errors      int
	Entities    int // entities written or returned
	Elapsed     time.Duration
	Latencies   []time.Duration // sorted
	FirstErrors []string
}

// Throughput is requests per second.
func (r Result) Throughput() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Percentile returns the latency at p (0 to 100).
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies)-1) * p / 100)
	return r.Latencies[i]
}

// String is the report printed by the load program.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario     %s\n", r.Scenario)
	fmt.Fprintf(&b, "requests     %d in %s (%d errors)\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.Errors)
	fmt.Fprintf(&b, "throughput   %.0f requests/s", r.Throughput())
	if r.Entities > 0 {
		fmt.Fprintf(&b, ", %.0f entities/s", float64(r.Entities)/r.Elapsed.Seconds())
	}
	fmt.Fprintf(&b, "\nlatency      p50 %s  p90 %s  p99 %s  max %s\n",
		round(r.Percentile(50)), round(r.Percentile(90)), round(r.Percentile(99)), round(r.Percentile(100)))
	for _, e := range r.FirstErrors {
		fmt.Fprintf(&b, "error        %s\n", e)
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// scenario prepares data, then builds each request.
type scenario struct {
	name    string
	about   string
	prepare func(ctx context.Context, r *runner) error
	// request builds the i-th request; entities is how many entities it
	// writes (or 0 when it reads).
	request func(r *runner, i int, rng *rand.Rand) (req *http.Request, entities int, err error)
}

// Scenarios lists the scenario names with what they do.
func Scenarios() map[string]string {
	out := map[string]string{}
	for _, s := range scenarios() {
		out[s.name] = s.about
	}
	return out
}

func scenarios() []scenario {
	return []scenario{
		{
			name:  "create",
			about: "POST /entities of ~1 KB air-quality observations, one entity per request",
			request: func(r *runner, i int, rng *rand.Rand) (*http.Request, int, error) {
				return r.newRequest("POST", "/entities", airQuality(r.runID, i, rng), nil), 1, nil
			},
		},
		{
			name:  "upsert-batch",
			about: "POST /entityOperations/upsert of Batch observations per request (a sensor gateway)",
			request: func(r *runner, i int, rng *rand.Rand) (*http.Request, int, error) {
				items := make([]string, r.cfg.Batch)
				for j := range items {
					items[j] = airQuality(r.runID, i*r.cfg.Batch+j, rng)
				}
				return r.newRequest("POST", "/entityOperations/upsert", "["+strings.Join(items, ",")+"]", nil), r.cfg.Batch, nil
			},
		},
		{
			name:    "retrieve",
			about:   "GET /entities/{id} of random entities among Entities prepared ones",
			prepare: prepareEntities,
			request: func(r *runner, i int, rng *rand.Rand) (*http.Request, int, error) {
				id := entityID(r.runID, rng.IntN(r.cfg.Entities))
				return r.newRequest("GET", "/entities/"+url.PathEscape(id), "", nil), 0, nil
			},
		},
		{
			name:    "query-near",
			about:   "GET /entities?type=...&georel=near of prepared entities, keyValues, ~10 hits",
			prepare: prepareEntities,
			request: func(r *runner, i int, rng *rand.Rand) (*http.Request, int, error) {
				lon, lat := randomPoint(rng)
				q := url.Values{
					"type":        {"AirQualityObserved"},
					"georel":      {"near;maxDistance==2000"},
					"geometry":    {"Point"},
					"coordinates": {fmt.Sprintf("[%.5f,%.5f]", lon, lat)},
					"options":     {"keyValues"},
					"limit":       {"100"},
				}
				return r.newRequest("GET", "/entities?"+q.Encode(), "", nil), 0, nil
			},
		},
		{
			name:    "query-q",
			about:   "GET /entities?type=...&q=no2>X of prepared entities, keyValues",
			prepare: prepareEntities,
			request: func(r *runner, i int, rng *rand.Rand) (*http.Request, int, error) {
				q := url.Values{
					"type":    {"AirQualityObserved"},
					"q":       {fmt.Sprintf("no2>%d;pm10<%d", 95+rng.IntN(3), 60)},
					"options": {"keyValues"},
					"limit":   {"100"},
				}
				return r.newRequest("GET", "/entities?"+q.Encode(), "", nil), 0, nil
			},
		},
	}
}

// runner holds the state of one run.
type runner struct {
	cfg    Config
	runID  string
	client *http.Client
}

func (r *runner) newRequest(method, path, body string, hdr http.Header) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, strings.TrimSuffix(r.cfg.BaseURL, "/")+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.cfg.Tenant != "" {
		req.Header.Set("NGSILD-Tenant", r.cfg.Tenant)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return req
}

// do sends a request and reads the whole answer.
func (r *runner) do(req *http.Request) (int, []byte, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// Run executes the load described by cfg.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	var sc *scenario
	for _, s := range scenarios() {
		if s.name == cfg.Scenario {
			sc = &s
			break
		}
	}
	if sc == nil {
		return Result{}, fmt.Errorf("unknown scenario %q", cfg.Scenario)
	}
	transport := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second}
	r := &runner{
		cfg:    cfg,
		runID:  fmt.Sprintf("urn:ngsi-ld:AirQualityObserved:load%d", time.Now().UnixNano()%1e9),
		client: &http.Client{Transport: transport, Timeout: 60 * time.Second},
	}
	defer transport.CloseIdleConnections()
	if sc.prepare != nil {
		if err := sc.prepare(ctx, r); err != nil {
			return Result{}, fmt.Errorf("prepare: %w", err)
		}
	}
	return r.drive(ctx, sc)
}

func (c *Config) check() error {
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Duration <= 0 && c.Requests <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Entities <= 0 {
		c.Entities = 10000
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid base URL %q", c.BaseURL)
	}
	if !c.AllowRemote && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%s is not a loopback address; load runs target this machine unless remote targets are allowed explicitly", u.Hostname())
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// drive sends the requests, closed or open loop, until the duration or the
// request count is reached.
func (r *runner) drive(ctx context.Context, sc *scenario) (Result, error) {
	if r.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.Duration)
		defer cancel()
	}
	var (
		mu       sync.Mutex
		res      = Result{Scenario: sc.name}
		next     atomic.Int64
		wg       sync.WaitGroup
		sem      chan struct{}
		firstErr = func(msg string) {
			if len(res.FirstErrors) < 5 {
				res.FirstErrors = append(res.FirstErrors, msg)
			}
		}
	)
	one := func(i int, scheduled time.Time, rng *rand.Rand) {
		req, n, err := sc.request(r, i, rng)
		if err != nil {
			mu.Lock()
			res.Errors++
			firstErr(err.Error())
			mu.Unlock()
			return
		}
		status, body, err := r.do(req.WithContext(context.WithoutCancel(ctx)))
		lat := time.Since(scheduled)
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		res.Latencies = append(res.Latencies, lat)
		switch {
		case err != nil:
			res.Errors++
			firstErr(err.Error())
		case status >= 300:
			res.Errors++
			firstErr(fmt.Sprintf("%s %s: %d %s", req.Method, req.URL.Path, status, truncate(body)))
		default:
			res.Entities += n
		}
	}
	limitReached := func() (int, bool) {
		i := int(next.Add(1) - 1)
		return i, r.cfg.Requests > 0 && i >= r.cfg.Requests
	}
	start := time.Now()
	if r.cfg.Rate > 0 {
		// Open loop: a request is due every 1/Rate seconds; its latency
		// counts from when it was due.
		interval := time.Duration(float64(time.Second) / r.cfg.Rate)
		sem = make(chan struct{}, 4096)
		for k := 0; ; k++ {
			due := start.Add(time.Duration(k) * interval)
			if wait := time.Until(due); wait > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
			}
			if ctx.Err() != nil {
				break
			}
			i, done := limitReached()
			if done {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			reqRng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(i)+2))
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				one(i, due, reqRng)
			}()
		}
	} else {
		for c := 0; c < r.cfg.Concurrency; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(c)+1000))
				for ctx.Err() == nil {
					i, done := limitReached()
					if done {
						return
					}
					one(i, time.Now(), rng)
				}
			}(c)
		}
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	if res.Requests == 0 {
		return res, errors.New("no request completed")
	}
	return res, nil
}

func truncate(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// prepareEntities loads the data set of the read scenarios with batch
// upserts.
func prepareEntities(ctx context.Context, r *runner) error {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 7))
	const per = 500
	for start := 0; start < r.cfg.Entities; start += per {
		var items []string
		for i := start; i < min(start+per, r.cfg.Entities); i++ {
			items = append(items, airQuality(r.runID, i, rng))
		}
		req := r.newRequest("POST", "/entityOperations/upsert", "["+strings.Join(items, ",")+"]", nil).WithContext(ctx)
		status, body, err := r.do(req)
		if err != nil {
			return err
		}
		if status >= 300 {
			return fmt.Errorf("upsert: %d %s", status, truncate(body))
		}
	}
	return nil
}

func entityID(runID string, i int) string { return fmt.Sprintf("%s:%07d", runID, i) }

// randomPoint returns a point in a territory the size of a French
// department (around Nantes).
func randomPoint(rng *rand.Rand) (lon, lat float64) {
	return -2.0 + rng.Float64()*1.0, 46.9 + rng.Float64()*0.7
}

// airQuality returns a ~1 KB AirQualityObserved entity in normalized form.
func airQuality(runID string, i int, rng *rand.Rand) string {
	lon, lat := randomPoint(rng)
	obs := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(86400)) * time.Second).Format(time.RFC3339)
	prop := func(name string, v float64, unit string) string {
		return fmt.Sprintf(`%q: {"type": "Property", "value": %.1f, "unitCode": %q, "observedAt": %q}`, name, v, unit, obs)
	}
	return fmt.Sprintf(`{"id": %q, "type": "AirQualityObserved", %s, %s, %s, %s, %s, %s,
"refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:aq-%d"},
"stationName": {"type": "Property", "value": "Station %d"},
"reliability": {"type": "Property", "value": %.2f},
"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [%.5f, %.5f]}}}`,
		entityID(runID, i),
		prop("no2", rng.Float64()*100, "GQ"), prop("pm10", rng.Float64()*80, "GQ"), prop("pm25", rng.Float64()*50, "GQ"),
		prop("o3", rng.Float64()*120, "GQ"), prop("temperature", -5+rng.Float64()*35, "CEL"), prop("relativeHumidity", rng.Float64(), "C62"),
		i, i, rng.Float64(), lon, lat)
}
