package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server"
	"github.com/opentid/opentid/server/jsonld/ldloader"
	"github.com/opentid/opentid/server/notify"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/postgres"
	"github.com/opentid/opentid/server/store/sqlite"
)

// serveConfig is the configuration of "opentid serve". Each flag has an
// environment variable; a flag given on the command line wins.
type serveConfig struct {
	addr            string
	db              string
	sync            string
	logLevel        string
	logFormat       string
	maxBatch        int
	maxLimit        int
	contextFiles    string
	offlineContexts bool
	shutdownTimeout time.Duration
	temporalLimit   int
	retention       string
	tenantRetention string
	// allowPrivateEndpoints lets subscriptions notify loopback, link-local
	// and private addresses.
	allowPrivateEndpoints bool
	// notifyLease is how long a delivery worker holds a claimed queue; a
	// crashed replica's notifications are delivered by another one after
	// it.
	notifyLease time.Duration
	// validateModels says where entities of the standard's types are
	// validated on write: all, none or a list of tenants.
	validateModels string
	// cacheEntries bounds the SQLite writer's caches (0: the store's
	// default, negative: none).
	cacheEntries int
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("opentid serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(getenv(name)); err == nil {
			return v
		}
		return def
	}
	fs.StringVar(&c.addr, "addr", env("OPENTID_ADDR", ":1026"), "listen address (env OPENTID_ADDR)")
	fs.StringVar(&c.db, "db", env("OPENTID_DB", "opentid.db"), "database: a SQLite file path (env OPENTID_DB)")
	fs.StringVar(&c.sync, "sync", env("OPENTID_SYNC", "NORMAL"), "SQLite synchronous mode: NORMAL survives a crash of the process, FULL also a power loss (env OPENTID_SYNC)")
	fs.StringVar(&c.logLevel, "log-level", env("OPENTID_LOG_LEVEL", "info"), "debug, info, warn or error (env OPENTID_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", env("OPENTID_LOG_FORMAT", "text"), "text or json (env OPENTID_LOG_FORMAT)")
	fs.IntVar(&c.maxBatch, "max-batch", envInt("OPENTID_MAX_BATCH", 10000), "largest batch operation, in entities (env OPENTID_MAX_BATCH)")
	fs.IntVar(&c.maxLimit, "max-limit", envInt("OPENTID_MAX_LIMIT", 1000), "largest page a query may ask for (env OPENTID_MAX_LIMIT)")
	fs.StringVar(&c.contextFiles, "context-file", env("OPENTID_CONTEXT_FILES", ""), "preloaded @context documents: URL=path[,URL=path...] (env OPENTID_CONTEXT_FILES)")
	offline := strings.EqualFold(getenv("OPENTID_OFFLINE_CONTEXTS"), "true")
	fs.BoolVar(&c.offlineContexts, "offline-contexts", offline, "never fetch an @context over the network (env OPENTID_OFFLINE_CONTEXTS)")
	allowPrivate := strings.EqualFold(getenv("OPENTID_ALLOW_PRIVATE_ENDPOINTS"), "true")
	fs.BoolVar(&c.allowPrivateEndpoints, "allow-private-endpoints", allowPrivate, "let subscriptions notify loopback, link-local and private addresses (env OPENTID_ALLOW_PRIVATE_ENDPOINTS)")
	fs.IntVar(&c.temporalLimit, "temporal-limit", envInt("OPENTID_TEMPORAL_LIMIT", 1000), "most instances of one attribute in a temporal answer; longer histories are paged (env OPENTID_TEMPORAL_LIMIT)")
	lease := time.Minute
	if d, err := time.ParseDuration(getenv("OPENTID_NOTIFY_LEASE")); err == nil && d > 0 {
		lease = d
	}
	fs.DurationVar(&c.notifyLease, "notify-lease", lease, "how long a delivery worker holds a notification queue it claimed; after a crash another replica delivers after it (env OPENTID_NOTIFY_LEASE)")
	fs.StringVar(&c.retention, "retention", env("OPENTID_RETENTION", "0"), "how long attribute instances are kept, e.g. 90d or 720h; 0 keeps them for ever (env OPENTID_RETENTION)")
	fs.StringVar(&c.tenantRetention, "tenant-retention", env("OPENTID_TENANT_RETENTION", ""), "per-tenant retention overrides: tenant=period[,tenant=period...], '-' for the default tenant (env OPENTID_TENANT_RETENTION)")
	fs.StringVar(&c.validateModels, "validate-models", env("OPENTID_VALIDATE_MODELS", "all"), "validate entities of the standard's data models on every write: all, none, or tenant[,tenant...] with '-' for the default tenant (env OPENTID_VALIDATE_MODELS)")
	fs.IntVar(&c.cacheEntries, "cache-entries", envInt("OPENTID_CACHE_ENTRIES", 0), "SQLite store: entities the writer keeps in memory, about 5 KB each for ten attributes; 0 for the default (8192), -1 for none (env OPENTID_CACHE_ENTRIES)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long a shutdown waits for requests in flight")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, usageError{}
		}
		return c, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return c, nil
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("invalid log level %q", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageError{fmt.Sprintf("invalid log format %q", format)}
	}
}

// openStore opens the store the --db value names.
func openStore(ctx context.Context, c serveConfig) (store.Store, error) {
	db := c.db
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		// Several processes may share the database (replicas).
		st, err := postgres.Open(ctx, db, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL store: %w", err)
		}
		return st, nil
	}
	return sqlite.Open(ctx, db, sqlite.Options{Synchronous: strings.ToUpper(c.sync), CacheEntries: c.cacheEntries})
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(c.logLevel, c.logFormat, stderr)
	if err != nil {
		return err
	}
	files, err := ldloader.ParseFileMap(c.contextFiles)
	if err != nil {
		return usageError{fmt.Sprintf("--context-file: %v", err)}
	}
	retention, err := parseRetention(c.retention)
	if err != nil {
		return usageError{"--retention: " + err.Error()}
	}
	tenantRetention, err := parseTenantRetention(c.tenantRetention)
	if err != nil {
		return usageError{"--tenant-retention: " + err.Error()}
	}
	validateModels, validateTenants, err := parseValidateModels(c.validateModels)
	if err != nil {
		return usageError{"--validate-models: " + err.Error()}
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := server.Open(server.Config{
		MaxBatch:              c.maxBatch,
		MaxLimit:              c.maxLimit,
		ContextFiles:          files,
		OfflineContexts:       c.offlineContexts,
		AllowPrivateEndpoints: c.allowPrivateEndpoints,
		TemporalLimit:         c.temporalLimit,
		Retention:             retention,
		TenantRetention:       tenantRetention,
		Notify:                notify.Options{Lease: c.notifyLease},
		ValidateModels:        validateModels,
		ValidateTenants:       validateTenants,
	}, st, logger)
	if err != nil {
		return err
	}
	// Background work (notification delivery) stops after the HTTP server,
	// so that the changes of the last requests are delivered or stay
	// queued in the database for the next start.
	h.Start(context.WithoutCancel(ctx))
	defer h.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "db", c.db, "api", server.BasePath)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
