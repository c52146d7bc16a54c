package spec

// Names of the problem types. The names are the last segment of the type URIs.
const (
	ProblemInvalidRequest        = "InvalidRequest"
	ProblemBadRequestData        = "BadRequestData"
	ProblemAlreadyExists         = "AlreadyExists"
	ProblemOperationNotSupported = "OperationNotSupported"
	ProblemResourceNotFound      = "ResourceNotFound"
	ProblemInternalError         = "InternalError"
	ProblemTooComplexQuery       = "TooComplexQuery"
	ProblemTooManyResults        = "TooManyResults"
	ProblemLdContextNotAvailable = "LdContextNotAvailable"
	ProblemNoMultiTenantSupport  = "NoMultiTenantSupport"
	ProblemNonexistentTenant     = "NonexistentTenant"
	ProblemConflict              = "Conflict"
	ProblemNotAcceptable         = "NotAcceptable"
	ProblemUnsupportedMediaType  = "UnsupportedMediaType"
)

// ngsildErrorsBase is the namespace of the NGSI-LD error types (clause 5.5.2).
const ngsildErrorsBase = "https://uri.etsi.org/ngsi-ld/errors/"

// opentidProblemsBase is the namespace of the problem types OpenTID adds to NGSI-LD.
const opentidProblemsBase = "https://opentid.org/problems/"

// ProblemType is one error type that a ProblemDetails response may carry in its "type" member.
type ProblemType struct {
	Name   string // short name, e.g. "ResourceNotFound"
	URI    string // value of the "type" member
	Title  string // short human-readable title, for the "title" member
	Status int    // HTTP status code of responses with this type
}

// problemTypes is the registry, in a stable order: the NGSI-LD error types first, in the
// order of clause 5.5.2, then the OpenTID additions.
var problemTypes = []ProblemType{
	// NGSI-LD error types, with the HTTP statuses of clause 6.3.2 of GS CIM 009 v1.9.1.
	{ProblemInvalidRequest, ngsildErrorsBase + ProblemInvalidRequest, "Invalid request", 400},
	{ProblemBadRequestData, ngsildErrorsBase + ProblemBadRequestData, "Bad request data", 400},
	{ProblemAlreadyExists, ngsildErrorsBase + ProblemAlreadyExists, "Already exists", 409},
	{ProblemOperationNotSupported, ngsildErrorsBase + ProblemOperationNotSupported, "Operation not supported", 422},
	{ProblemResourceNotFound, ngsildErrorsBase + ProblemResourceNotFound, "Resource not found", 404},
	{ProblemInternalError, ngsildErrorsBase + ProblemInternalError, "Internal error", 500},
	{ProblemTooComplexQuery, ngsildErrorsBase + ProblemTooComplexQuery, "Too complex query", 403},
	{ProblemTooManyResults, ngsildErrorsBase + ProblemTooManyResults, "Too many results", 403},
	// 504 since NGSI-LD 1.8.1; earlier versions used 503.
	{ProblemLdContextNotAvailable, ngsildErrorsBase + ProblemLdContextNotAvailable, "LD context not available", 504},
	{ProblemNoMultiTenantSupport, ngsildErrorsBase + ProblemNoMultiTenantSupport, "No multi-tenant support", 501},
	{ProblemNonexistentTenant, ngsildErrorsBase + ProblemNonexistentTenant, "Nonexistent tenant", 404},
	{ProblemConflict, ngsildErrorsBase + ProblemConflict, "Conflict", 409},

	// OpenTID additions. NGSI-LD defines no error type for content negotiation failures, so
	// OpenTID defines these two under its own namespace rather than misuse an NGSI-LD type.
	{ProblemNotAcceptable, opentidProblemsBase + ProblemNotAcceptable, "Not acceptable", 406},
	{ProblemUnsupportedMediaType, opentidProblemsBase + ProblemUnsupportedMediaType, "Unsupported media type", 415},
}

// Problems returns all problem types in a stable order. The caller owns the returned slice.
func Problems() []ProblemType {
	out := make([]ProblemType, len(problemTypes))
	copy(out, problemTypes)
	return out
}

// Problem returns the problem type with the given name, e.g. ProblemResourceNotFound.
func Problem(name string) (ProblemType, bool) {
	for _, p := range problemTypes {
		if p.Name == name {
			return p, true
		}
	}
	return ProblemType{}, false
}
