// Package server is the HTTP face of the OpenTID reference server: the
// NGSI-LD API of spec/openapi.yaml on a chi router, with request
// validation against the embedded document, content negotiation, JSON-LD
// @context resolution and ProblemDetails rendering.
//
// Handlers return errors; problem.go turns every error into a
// ProblemDetails response in one place. routes.go lists every route.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/jsonld/ldloader"
	"github.com/opentid/opentid/server/notify"
	"github.com/opentid/opentid/server/store"
)

// BasePath is where the NGSI-LD API is served.
const BasePath = "/ngsi-ld/v1"

// Config holds the server's settings. The zero value is usable: every
// field has a default.
type Config struct {
	// MaxBatch is the largest number of items a batch operation accepts
	// (default 10,000).
	MaxBatch int
	// DefaultLimit is the page size of queries without a limit (default 20).
	DefaultLimit int
	// MaxLimit is the largest limit a query may ask for (default 1,000);
	// beyond it the answer is 403 TooManyResults.
	MaxLimit int
	// MaxBodyBytes bounds request bodies (default 64 MiB, enough for a
	// batch of 10,000 entities of a few kilobytes).
	MaxBodyBytes int64
	// ContextFiles maps @context URLs to local files, loaded instead of
	// fetching them (offline servers, pinned vocabularies).
	ContextFiles map[string]string
	// OfflineContexts refuses to fetch any @context over the network: only
	// the core context and ContextFiles are available.
	OfflineContexts bool
	// ContextTimeout bounds the fetch of a remote @context (default 5 s).
	ContextTimeout time.Duration
	// ContextLoader replaces the HTTP loader of remote contexts (tests).
	ContextLoader jsonld.Loader
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
	// AllowPrivateEndpoints lets subscriptions notify loopback,
	// link-local and private addresses (tests, closed networks); they
	// are refused otherwise.
	AllowPrivateEndpoints bool
	// Notify tunes the delivery of notifications (timeouts, retries,
	// queue bounds); the zero value has defaults.
	Notify notify.Options
	// TemporalLimit bounds the instances of one attribute in a temporal
	// answer (default 1,000); a longer history is paged (Content-Range),
	// and a larger lastN is refused with 403 TooManyResults.
	TemporalLimit int
	// Retention is how long attribute instances are kept, counted from
	// their observedAt (else modifiedAt), in every tenant without an
	// override; zero keeps them for ever.
	Retention time.Duration
	// TenantRetention overrides Retention per tenant ("" is the default
	// tenant); a zero value keeps that tenant's history for ever.
	TenantRetention map[string]time.Duration
	// RetentionInterval is how often the background work applies the
	// retention periods (default 1 h).
	RetentionInterval time.Duration
	// ValidateModels says in which tenants an entity of the standard's
	// types (one of its expanded types is a model of the unified
	// @context) is validated against its model on every write; an
	// invalid write is a 400 BadRequestData listing each problem. The
	// default validates in every tenant.
	ValidateModels ModelValidation
	// ValidateTenants are the tenants validated with
	// ValidateListedTenants ("" is the default tenant).
	ValidateTenants []string
}

func (c Config) withDefaults() Config {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 10000
	}
	if c.DefaultLimit <= 0 {
		c.DefaultLimit = 20
	}
	if c.MaxLimit <= 0 {
		c.MaxLimit = 1000
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 20
	}
	if c.ContextTimeout <= 0 {
		c.ContextTimeout = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TemporalLimit <= 0 {
		c.TemporalLimit = 1000
	}
	if c.RetentionInterval <= 0 {
		c.RetentionInterval = time.Hour
	}
	return c
}

// Server serves the API. Build it with New.
type Server struct {
	cfg       Config
	store     store.Store
	log       *slog.Logger
	ld        *jsonld.Processor
	validator *validator
	handler   http.Handler
	// hooks see every committed change (see changes.go).
	hooks []changeHook
	// committed run after the commit of a transaction with changes.
	committed []func()
	// notifier delivers notifications; Start runs it (handle_subscriptions.go).
	notifier *notify.Notifier
	runMu    sync.Mutex
	running  chan struct{}
	stop     context.CancelFunc
	// background are the tasks Start runs beside the notifier, each until
	// its context ends (retention: temporal_record.go).
	background []func(context.Context)
	// models validates the entities of the standard's types on writes;
	// nil when validation is off (models.go).
	models *modelChecker
}

// New builds the HTTP handler of the reference server on st and starts
// its background work (the delivery of notifications) for the life of the
// process. The handler is a *Server: a caller that ends before the process
// does calls its Close. Programs that manage the lifecycle use Open and
// Start instead.
func New(cfg Config, st store.Store, logger *slog.Logger) (http.Handler, error) {
	s, err := newServer(cfg, st, logger)
	if err != nil {
		return nil, err
	}
	s.Start(context.Background())
	return s, nil
}

// Open builds the reference server on st without starting its background
// work: call Start to deliver notifications, and Close to stop.
func Open(cfg Config, st store.Store, logger *slog.Logger) (*Server, error) {
	return newServer(cfg, st, logger)
}

func newServer(cfg Config, st store.Store, logger *slog.Logger) (*Server, error) {
	if st == nil {
		return nil, errors.New("server: nil store")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	loader := cfg.ContextLoader
	if loader == nil {
		loader = ldloader.New(ldloader.Options{
			Timeout: cfg.ContextTimeout,
			Files:   cfg.ContextFiles,
			Offline: cfg.OfflineContexts,
		})
	}
	v, err := newValidator()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ld := jsonld.NewProcessor(jsonld.Options{Loader: withBuiltinContexts(loader)})
	models, err := newModelChecker(cfg, ld)
	if err != nil {
		return nil, fmt.Errorf("server: data models: %w", err)
	}
	s := &Server{
		cfg:       cfg,
		store:     st,
		log:       logger,
		ld:        ld,
		validator: v,
		models:    models,
	}
	s.newNotifier()
	s.hooks = append(s.hooks, s.recordHistory)
	s.background = append(s.background, s.runRetention)
	s.handler = s.routes()
	return s, nil
}

// now is the server's clock, truncated to the millisecond like the
// timestamps NGSI-LD shows.
func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// Healthy reports whether the store answers.
func (s *Server) healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.store.View(ctx, store.DefaultTenant, func(store.Reader) error { return nil })
}
