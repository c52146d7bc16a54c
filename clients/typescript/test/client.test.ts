import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import {
  asEntities,
  asEntity,
  createOpenTIDClient,
  contextLink,
  nextPage,
  queryEntitiesAll,
  unwrap,
  ProblemError,
  type Entity,
  type EntityCreate,
  type GeoProperty,
  type OpenTIDClient,
  type Property,
} from "../src/index.js";
import { serverForSuite, skipReason, testContextUrl } from "./server.js";

const stationId = "urn:ngsi-ld:AirQualityObserved:nantes-01";

function station(id: string, no2: number): EntityCreate {
  const no2Attr: Property = { type: "Property", value: no2, unitCode: "GQ", observedAt: "2026-03-01T10:00:00Z" };
  const location: GeoProperty = { type: "GeoProperty", value: { type: "Point", coordinates: [-1.5536, 47.2184] } };
  return { id, type: "AirQualityObserved", no2: no2Attr, location };
}

async function problemOf(call: Promise<unknown>): Promise<ProblemError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  assert.fail("the call succeeded");
}

describe("OpenTID TypeScript client against the reference server", { skip: skipReason }, () => {
  const suite = serverForSuite();
  let client: OpenTIDClient;
  before(() => {
    client = suite.client;
  });

  it("creates an entity", async () => {
    const r = await client.POST("/entities", { body: station(stationId, 22.5) });
    assert.equal(r.response.status, 201);
    assert.match(r.response.headers.get("Location") ?? "", /\/entities\/urn:ngsi-ld:AirQualityObserved:nantes-01$/);
  });

  it("retrieves it normalized and as keyValues", async () => {
    const normalized = asEntity(
      await unwrap(client.GET("/entities/{entityId}", { params: { path: { entityId: stationId } } })),
    );
    const no2 = normalized.no2 as Property;
    assert.equal(no2.type, "Property");
    assert.equal(no2.value, 22.5);
    assert.equal(no2.unitCode, "GQ");

    const simplified = asEntity(
      await unwrap(
        client.GET("/entities/{entityId}", {
          params: { path: { entityId: stationId }, query: { options: ["keyValues"] } },
        }),
      ),
    );
    assert.equal(simplified.no2, 22.5);
    assert.deepEqual((simplified.location as { type: string }).type, "Point");
  });

  it("queries by type with count", async () => {
    const r = await client.GET("/entities", { params: { query: { type: "AirQualityObserved", count: true } } });
    const entities = asEntities(await unwrap(r));
    assert.equal(entities.length, 1);
    assert.equal(entities[0].id, stationId);
    assert.equal(r.response.headers.get("NGSILD-Results-Count"), "1");
  });

  it("updates an attribute", async () => {
    const r = await client.PATCH("/entities/{entityId}/attrs/{attrId}", {
      params: { path: { entityId: stationId, attrId: "no2" } },
      body: { value: 31.5 },
    });
    assert.equal(r.response.status, 204);
    const e = await unwrap(
      client.GET("/entities/{entityId}", {
        params: { path: { entityId: stationId }, query: { format: "simplified", attrs: ["no2"] } },
      }),
    );
    assert.deepEqual(e, { id: stationId, type: "AirQualityObserved", no2: 31.5 });
  });

  it("upserts a batch and pages through a query", async () => {
    const ids = ["a", "b", "c", "d", "e"].map((s) => `urn:ngsi-ld:AirQualityObserved:${s}`);
    const r = await client.POST("/entityOperations/upsert", {
      body: [station(stationId, 40), ...ids.map((id, i) => station(id, i))],
    });
    assert.equal(r.response.status, 201);
    assert.deepEqual(r.data, ids);

    const first = await client.GET("/entities", { params: { query: { type: "AirQualityObserved", limit: 2 } } });
    assert.deepEqual(nextPage(first.response), { offset: 2, limit: 2 });
    const seen: string[] = [];
    for await (const e of queryEntitiesAll(client, { type: "AirQualityObserved", limit: 2 })) seen.push(e.id ?? "");
    assert.deepEqual(seen.sort(), [...ids, stationId].sort());
  });

  it("sends the @context in a Link header and the tenant header", async () => {
    const tenant = createOpenTIDClient({ baseUrl: suite.server.baseUrl, context: testContextUrl, tenant: "nantes" });
    await unwrap(tenant.POST("/entities", { body: station(stationId, 1) }));
    const short = await unwrap(tenant.GET("/entities/{entityId}", { params: { path: { entityId: stationId } } }));
    assert.equal(short.type, "AirQualityObserved");
    assert.ok("no2" in short);

    const long = await unwrap(
      client.GET("/entities/{entityId}", {
        params: { path: { entityId: stationId }, header: { "NGSILD-Tenant": "nantes" } },
      }),
    );
    assert.equal(long.type, "https://opentid.org/ns/AirQualityObserved");

    const withLink = await unwrap(
      client.GET("/entities/{entityId}", {
        params: { path: { entityId: stationId }, header: { "NGSILD-Tenant": "nantes", Link: contextLink(testContextUrl) } },
      }),
    );
    assert.equal(withLink.type, "AirQualityObserved");
  });

  it("deletes an entity", async () => {
    const r = await client.DELETE("/entities/{entityId}", { params: { path: { entityId: stationId } } });
    assert.equal(r.response.status, 204);
    const err = await problemOf(
      unwrap(client.GET("/entities/{entityId}", { params: { path: { entityId: stationId } } })),
    );
    assert.equal(err.status, 404);
    assert.equal(err.type, "ResourceNotFound");
  });

  it("reports errors as ProblemDetails", async () => {
    const r = await client.POST("/entities", { body: station(stationId + "-dup", 1) });
    assert.equal(r.response.status, 201);
    const dup = await problemOf(unwrap(client.POST("/entities", { body: station(stationId + "-dup", 1) })));
    assert.equal(dup.status, 409);
    assert.equal(dup.problem?.type, "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists");

    const unknownTenant = await problemOf(
      unwrap(client.GET("/entities", { params: { query: { type: "X" }, header: { "NGSILD-Tenant": "nowhere" } } })),
    );
    assert.equal(unknownTenant.type, "NonexistentTenant");
  });
});
