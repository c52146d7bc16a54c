import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import {
  instancesOf,
  temporalValuesOf,
  unwrap,
  ProblemError,
  type AttributeInstance,
  type OpenTIDClient,
  type TemporalEntity,
} from "../src/index.js";
import { serverForSuite, skipReason } from "./server.js";

const id = "urn:ngsi-ld:AirQualityObserved:nantes-02";

function no2(value: number, observedAt: string): AttributeInstance {
  return { type: "Property", value, unitCode: "GQ", observedAt };
}

const values = (instances: AttributeInstance[]) => instances.map((i) => ("value" in i ? i.value : undefined));

describe("time series through the temporal API", { skip: skipReason }, () => {
  const suite = serverForSuite();
  let client: OpenTIDClient;
  before(() => {
    client = suite.client;
  });

  it("records a time series", async () => {
    // The spec types the attributes of a TemporalEntity so that its id and type
    // clash with them: the generated type takes no literal without an assertion.
    const history = {
      id,
      type: "AirQualityObserved",
      no2: [
        no2(20, "2026-03-01T10:00:00Z"),
        no2(24, "2026-03-01T12:00:00+01:00"), // 11:00 UTC
        no2(28, "2026-03-01T12:00:00Z"),
      ],
    } satisfies TemporalEntity;
    const created = await client.POST("/temporal/entities", { body: history });
    assert.equal(created.response.status, 201);
    assert.match(created.response.headers.get("Location") ?? "", /\/temporal\/entities\/urn:ngsi-ld:AirQualityObserved:nantes-02$/);

    const added = await client.POST("/temporal/entities/{entityId}/attrs", {
      params: { path: { entityId: id } },
      body: { no2: [no2(30, "2026-03-01T13:00:00Z")] },
    });
    assert.equal(added.response.status, 204);

    // The current state follows the latest instance.
    const current = await unwrap(
      client.GET("/entities/{entityId}", { params: { path: { entityId: id }, query: { options: ["keyValues"] } } }),
    );
    assert.equal((current as Record<string, unknown>).no2, 30);
  });

  it("reads it back with timerel and lastN", async () => {
    const all = await unwrap(client.GET("/temporal/entities/{entityId}", { params: { path: { entityId: id } } }));
    const instances = instancesOf(all, "no2");
    assert.deepEqual(values(instances), [20, 24, 28, 30]);
    assert.ok(instances.every((i) => i.instanceId?.startsWith("urn:")));

    const recent = await unwrap(
      client.GET("/temporal/entities/{entityId}", {
        params: {
          path: { entityId: id },
          query: { attrs: ["no2"], timerel: "after", timeAt: "2026-03-01T11:00:00Z", lastN: 2 },
        },
      }),
    );
    assert.deepEqual(values(instancesOf(recent, "no2")), [28, 30]);

    const pairs = await unwrap(
      client.GET("/temporal/entities/{entityId}", {
        params: {
          path: { entityId: id },
          query: { format: "temporalValues", timerel: "before", timeAt: "2026-03-01T11:30:00Z" },
        },
      }),
    );
    assert.deepEqual(
      temporalValuesOf(pairs, "no2")?.values?.map(([v]) => v),
      [20, 24],
    );
  });

  it("aggregates it by day", async () => {
    const daily = await unwrap(
      client.GET("/temporal/entities/{entityId}", {
        params: {
          path: { entityId: id },
          query: {
            options: ["aggregatedValues"],
            aggrMethods: ["avg", "max"],
            aggrPeriodDuration: "P1D",
            timerel: "between",
            timeAt: "2026-03-01T00:00:00Z",
            endTimeAt: "2026-03-02T00:00:00Z",
          },
        },
      }),
    );
    const agg = temporalValuesOf(daily, "no2");
    assert.equal(agg?.avg?.length, 1);
    const [avg, start, end] = agg?.avg?.[0] ?? [];
    assert.equal(avg, 25.5);
    assert.equal(Date.parse(String(start)), Date.parse("2026-03-01T00:00:00Z"));
    assert.equal(Date.parse(String(end)), Date.parse("2026-03-02T00:00:00Z"));
    assert.equal(agg?.max?.[0]?.[0], 30);
  });

  it("queries time series by type, and via POST", async () => {
    const r = await client.GET("/temporal/entities", {
      params: { query: { type: "AirQualityObserved", attrs: ["no2"], lastN: 1, count: true } },
    });
    const found = await unwrap(r);
    assert.equal(r.response.headers.get("NGSILD-Results-Count"), "1");
    assert.deepEqual(found.map((e) => e.id), [id]);
    assert.deepEqual(values(instancesOf(found[0], "no2")), [30]);

    const posted = await unwrap(
      client.POST("/temporal/entityOperations/query", {
        body: {
          type: "Query",
          entities: [{ id }],
          temporalQ: { timerel: "before", timeAt: "2026-03-01T11:00:00Z" },
        },
      }),
    );
    assert.deepEqual(values(instancesOf(posted[0], "no2")), [20]);
  });

  it("deletes the history and keeps the current state", async () => {
    const r = await client.DELETE("/temporal/entities/{entityId}", { params: { path: { entityId: id } } });
    assert.equal(r.response.status, 204);
    await assert.rejects(
      unwrap(client.GET("/temporal/entities/{entityId}", { params: { path: { entityId: id } } })),
      (err) => err instanceof ProblemError && err.status === 404 && err.type === "ResourceNotFound",
    );
    await unwrap(client.GET("/entities/{entityId}", { params: { path: { entityId: id } } }));
  });
});
