/**
 * TypeScript client of the OpenTID API, the NGSI-LD profile described by
 * spec/openapi.yaml.
 *
 * `schema.ts` is generated from the spec by openapi-typescript: the types of
 * every path, operation and schema. This file adds what the spec cannot
 * express as operations: the JSON-LD @context `Link` header and the tenant
 * header on every request, the comma-separated arrays of NGSI-LD query
 * parameters, ProblemDetails errors, and an iterator over the pages of a
 * query.
 */
import createClient from "openapi-fetch";
import type { Client, ClientOptions, Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

type Schemas = components["schemas"];

/** An NGSI-LD entity in any representation: attributes are keyed by name. */
export type Entity = Schemas["Entity"];
export type EntityCreate = Schemas["EntityCreate"];
export type EntityTypeNames = Schemas["EntityTypeNames"];
export type Property = Schemas["Property"];
export type Relationship = Schemas["Relationship"];
export type GeoProperty = Schemas["GeoProperty"];
export type LanguageProperty = Schemas["LanguageProperty"];
export type ListProperty = Schemas["ListProperty"];
export type JsonProperty = Schemas["JsonProperty"];
export type VocabProperty = Schemas["VocabProperty"];
export type ListRelationship = Schemas["ListRelationship"];
/** An attribute in the normalized representation. */
export type Attribute =
  | Property
  | Relationship
  | GeoProperty
  | LanguageProperty
  | ListProperty
  | JsonProperty
  | VocabProperty
  | ListRelationship;
export type Geometry = Schemas["Geometry"];
export type Feature = Schemas["Feature"];
export type FeatureCollection = Schemas["FeatureCollection"];
export type Query = Schemas["Query"];
export type ProblemDetails = Schemas["ProblemDetails"];
export type BatchOperationResult = Schemas["BatchOperationResult"];
export type UpdateResult = Schemas["UpdateResult"];
export type EntityTypeList = Schemas["EntityTypeList"];
export type EntityTypeInfo = Schemas["EntityTypeInfo"];
export type AttributeList = Schemas["AttributeList"];
export type AttributeInfo = Schemas["Attribute"];
/**
 * An entity in a temporal representation: each attribute is an array of
 * AttributeInstance (clause 4.5.7), or a TemporalValues in the simplified
 * and aggregated representations.
 */
export type TemporalEntity = Schemas["TemporalEntity"];
export type TemporalValues = Schemas["TemporalValues"];
export type TemporalQuery = Schemas["TemporalQuery"];
/** An attribute instance of the temporal representation: an attribute and its `instanceId`. */
export type AttributeInstance = Attribute & { instanceId?: string };
export type Subscription = Schemas["Subscription"];
export type SubscriptionCreate = Schemas["SubscriptionCreate"];
export type SubscriptionPatch = Schemas["SubscriptionPatch"];
/** The body of a notification POSTed to the endpoint of a subscription. */
export type Notification = Schemas["Notification"];

/** Media types of NGSI-LD requests and responses. */
export const MediaType = {
  json: "application/json",
  jsonLd: "application/ld+json",
  geoJson: "application/geo+json",
  mergePatch: "application/merge-patch+json",
} as const;

const relContext = "http://www.w3.org/ns/json-ld#context";

/** The value of a `Link` header that gives `contextUrl` as the @context of a request. */
export function contextLink(contextUrl: string): string {
  return `<${contextUrl}>; rel="${relContext}"; type="${MediaType.jsonLd}"`;
}

/** The client: one typed method per HTTP method, keyed by the paths of the spec. */
export type OpenTIDClient = Client<paths>;

export interface OpenTIDClientOptions extends ClientOptions {
  /** Base URL of the API, ending in `/ngsi-ld/v1`. */
  baseUrl: string;
  /**
   * URL of the user @context, sent in a `Link` header on every request that
   * has no `Link` header and no `application/ld+json` body (such a body
   * carries its @context itself, and a `Link` header is then an error).
   */
  context?: string;
  /** Tenant sent in `NGSILD-Tenant` on every request that does not name one. */
  tenant?: string;
}

/** Creates a client of an OpenTID (or NGSI-LD) server. */
export function createOpenTIDClient(options: OpenTIDClientOptions): OpenTIDClient {
  const { context, tenant, ...rest } = options;
  const client = createClient<paths>({
    // NGSI-LD lists (id, attrs, options) are comma-separated.
    querySerializer: { array: { style: "form", explode: false } },
    ...rest,
  });
  client.use(defaultHeaders(context, tenant));
  return client;
}

function defaultHeaders(context?: string, tenant?: string): Middleware {
  return {
    onRequest({ request }) {
      const h = request.headers;
      const ld = (h.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase() === MediaType.jsonLd;
      if (context && !ld && !h.has("Link")) h.set("Link", contextLink(context));
      if (tenant && !h.has("NGSILD-Tenant")) h.set("NGSILD-Tenant", tenant);
      return request;
    },
  };
}

/** A call that failed: its status and, when the body is one, its ProblemDetails. */
export class ProblemError extends Error {
  readonly status: number;
  readonly problem?: ProblemDetails;

  constructor(status: number, problem?: ProblemDetails) {
    super(`ngsi-ld: ${status} ${problem?.type ?? ""}${problem?.detail ? `: ${problem.detail}` : ""}`);
    this.name = "ProblemError";
    this.status = status;
    this.problem = problem;
  }

  /** The last segment of the problem type URI, such as `ResourceNotFound`. */
  get type(): string {
    return this.problem?.type.split("/").pop() ?? "";
  }
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Returns the data of a call, or throws a ProblemError when the server
 * answered with an error status.
 */
export async function unwrap<T>(call: Promise<Result<T>> | Result<T>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const problem = isProblem(error) ? error : undefined;
    throw new ProblemError(response.status, problem);
  }
  return data as T;
}

function isProblem(v: unknown): v is ProblemDetails {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}

/**
 * The entity of a retrieval answered in JSON or JSON-LD. The response type
 * of a retrieval also admits a GeoJSON Feature, which the server sends only
 * when `Accept: application/geo+json` asks for it.
 */
export function asEntity(data: Entity | Feature): Entity {
  if (data.type === "Feature" && "geometry" in data && "properties" in data) {
    throw new TypeError("the response is a GeoJSON Feature, not an entity");
  }
  return data as Entity;
}

/** The entities of a query answered in JSON or JSON-LD, not GeoJSON. */
export function asEntities(data: Entity[] | FeatureCollection): Entity[] {
  if (!Array.isArray(data)) {
    throw new TypeError("the response is a GeoJSON FeatureCollection, not an entity array");
  }
  return data;
}

/**
 * The instances of an attribute of an entity in the temporal representation,
 * in ascending order of time; an empty array when the entity has no such
 * attribute.
 */
export function instancesOf(entity: TemporalEntity, name: string): AttributeInstance[] {
  const v = entity[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TypeError(`attribute ${name} is not in the temporal representation`);
  return v as AttributeInstance[];
}

/**
 * An attribute of an entity in the simplified (`[value, time]` pairs) or
 * aggregated (`[value, start, end]` triples per method) temporal
 * representation, or undefined when the entity has no such attribute.
 */
export function temporalValuesOf(entity: TemporalEntity, name: string): TemporalValues | undefined {
  const v = entity[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v) || v === null || typeof v !== "object") {
    throw new TypeError(`attribute ${name} is not in the simplified or aggregated representation`);
  }
  return v as TemporalValues;
}

type QueryParams = NonNullable<operations["queryEntities"]["parameters"]["query"]>;
type QueryHeaders = operations["queryEntities"]["parameters"]["header"];

/**
 * Runs a query and yields the matching entities page by page, following the
 * `Link rel="next"` header of each response (clause 5.5.9). `query.limit`
 * sets the page size.
 */
export async function* queryEntitiesAll(
  client: OpenTIDClient,
  query: QueryParams,
  header?: QueryHeaders,
): AsyncGenerator<Entity> {
  let page: QueryParams = { ...query };
  for (;;) {
    const result = await client.GET("/entities", { params: { query: page, header } });
    yield* asEntities(await unwrap(result));
    const next = nextPage(result.response);
    if (!next) return;
    page = { ...page, ...next };
  }
}

/** The offset and limit of the `Link rel="next"` header of a response, if any. */
export function nextPage(response: Response): { offset?: number; limit?: number } | undefined {
  for (const link of (response.headers.get("Link") ?? "").split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (!m) continue;
    const rel = /;\s*rel="?([^";]*)"?/i.exec(m[2])?.[1] ?? "";
    if (!rel.split(/\s+/).includes("next")) continue;
    const q = new URL(m[1], response.url || "http://localhost").searchParams;
    const num = (name: string) => (q.has(name) ? Number(q.get(name)) : undefined);
    return { offset: num("offset"), limit: num("limit") };
  }
  return undefined;
}
