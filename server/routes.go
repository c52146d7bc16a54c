package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opentid/opentid/spec"
)

// routes lists the whole HTTP surface of the server.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverPanics, s.logRequests, s.limitBodies, keepSemicolons)
	r.NotFound(s.h(func(w http.ResponseWriter, r *http.Request) error {
		return problemf(spec.ProblemResourceNotFound, "no resource at %s", r.URL.Path)
	}))
	r.MethodNotAllowed(s.h(func(w http.ResponseWriter, r *http.Request) error {
		e := problemf(spec.ProblemInvalidRequest, "method %s is not allowed on %s", r.Method, r.URL.Path)
		e.status = http.StatusMethodNotAllowed
		return e
	}))
	r.Get("/healthz", s.h(s.handleHealth))

	r.Route(BasePath, func(r chi.Router) {
		r.Use(s.validate)

		r.Post("/entities", s.h(s.handleCreateEntity))
		r.Get("/entities", s.h(s.handleQueryEntities))
		r.Get("/entities/{entityId}", s.h(s.handleRetrieveEntity))
		r.Put("/entities/{entityId}", s.h(s.handleReplaceEntity))
		r.Patch("/entities/{entityId}", s.h(s.handleMergeEntity))
		r.Delete("/entities/{entityId}", s.h(s.handleDeleteEntity))

		r.Post("/entities/{entityId}/attrs", s.h(s.handleAppendAttrs))
		r.Patch("/entities/{entityId}/attrs", s.h(s.handleUpdateAttrs))
		r.Patch("/entities/{entityId}/attrs/{attrId}", s.h(s.handlePartialAttrUpdate))
		r.Put("/entities/{entityId}/attrs/{attrId}", s.h(s.handleReplaceAttr))
		r.Delete("/entities/{entityId}/attrs/{attrId}", s.h(s.handleDeleteAttr))

		r.Post("/entityOperations/create", s.h(s.handleBatch(batchCreate)))
		r.Post("/entityOperations/upsert", s.h(s.handleBatch(batchUpsert)))
		r.Post("/entityOperations/update", s.h(s.handleBatch(batchUpdate)))
		r.Post("/entityOperations/delete", s.h(s.handleBatch(batchDelete)))
		r.Post("/entityOperations/merge", s.h(s.handleBatch(batchMerge)))
		r.Post("/entityOperations/query", s.h(s.handleQueryPost))

		r.Get("/types", s.h(s.handleTypes))
		r.Get("/types/{type}", s.h(s.handleTypeInfo))
		r.Get("/attributes", s.h(s.handleAttributes))
		r.Get("/attributes/{attrId}", s.h(s.handleAttributeInfo))

		r.Post("/temporal/entities", s.h(s.handleTemporalUpsert))
		r.Get("/temporal/entities", s.h(s.handleTemporalQuery))
		r.Get("/temporal/entities/{entityId}", s.h(s.handleTemporalRetrieve))
		r.Delete("/temporal/entities/{entityId}", s.h(s.handleTemporalDelete))
		r.Post("/temporal/entities/{entityId}/attrs", s.h(s.handleTemporalAddAttrs))
		r.Delete("/temporal/entities/{entityId}/attrs/{attrId}", s.h(s.handleTemporalDeleteAttr))
		r.Patch("/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}", s.h(s.handleTemporalPatchInstance))
		r.Delete("/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}", s.h(s.handleTemporalDeleteInstance))
		r.Post("/temporal/entityOperations/query", s.h(s.handleTemporalQueryPost))

		r.Post("/subscriptions", s.h(s.handleCreateSubscription))
		r.Get("/subscriptions", s.h(s.handleQuerySubscriptions))
		r.Get("/subscriptions/{subscriptionId}", s.h(s.handleRetrieveSubscription))
		r.Patch("/subscriptions/{subscriptionId}", s.h(s.handleUpdateSubscription))
		r.Delete("/subscriptions/{subscriptionId}", s.h(s.handleDeleteSubscription))
	})
	return r
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// h adapts a handlerFunc: a returned error becomes a ProblemDetails
// response.
func (s *Server) h(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	}
}

// pathParam returns a path parameter, percent-decoded.
func pathParam(r *http.Request, name string) (string, error) {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v, nil
	}
	dec, err := url.PathUnescape(v)
	if err != nil {
		return "", problemf(spec.ProblemBadRequestData, "malformed path parameter %s: %v", name, err)
	}
	return dec, nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	status, code := "ok", http.StatusOK
	if err := s.healthy(r.Context()); err != nil {
		s.log.ErrorContext(r.Context(), "health check failed", "err", err)
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(map[string]string{"status": status, "specVersion": spec.Version, "ngsiLdVersion": spec.NGSILDVersion})
}

// limitBodies bounds every request body.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// keepSemicolons percent-encodes the literal ';' of the query string.
// NGSI-LD uses ';' inside parameter values (q=a>1;b<2,
// georel=near;maxDistance==100), but Go's query parser treats a literal
// ';' as an error and drops the parameter; encoded, it reaches every
// parser (the validator's and the handlers') as part of the value.
func keepSemicolons(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, ";") {
			r.URL.RawQuery = strings.ReplaceAll(r.URL.RawQuery, ";", "%3B")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a 500 problem and a log line with the
// stack, and keeps the process alive.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeProblem(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = http.StatusOK
	}
	n, err := sr.ResponseWriter.Write(b)
	sr.bytes += n
	return n, err
}

func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

// logRequests writes one structured log line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		s.log.Log(r.Context(), level, "http",
			"method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
			"tenant", strings.TrimSpace(r.Header.Get(tenantHeader)),
			"status", rec.status, "bytes", rec.bytes, "duration", time.Since(start))
	})
}
