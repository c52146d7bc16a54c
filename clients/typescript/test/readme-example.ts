// The example of README.md, type-checked by the build (it needs a running
// server, so no test runs it). readme.test.ts keeps the two the same.
import { createServer } from "node:http";

import {
  asEntities,
  createOpenTIDClient,
  instancesOf,
  queryEntitiesAll,
  temporalValuesOf,
  unwrap,
  ProblemError,
  type AttributeInstance,
  type EntityCreate,
  type Notification,
  type Property,
  type TemporalEntity,
} from "../src/index.js";

const client = createOpenTIDClient({
  baseUrl: "http://localhost:1026/ngsi-ld/v1",
  context: "https://example.org/opentid/context.jsonld",
  tenant: "nantes",
});

const station: EntityCreate = {
  id: "urn:ngsi-ld:AirQualityObserved:nantes-01",
  type: "AirQualityObserved",
  no2: { type: "Property", value: 22.5, unitCode: "GQ", observedAt: "2026-03-01T10:00:00Z" },
  location: { type: "GeoProperty", value: { type: "Point", coordinates: [-1.5536, 47.2184] } },
};

try {
  await unwrap(client.POST("/entities", { body: station }));
} catch (err) {
  if (err instanceof ProblemError && err.type === "AlreadyExists") console.log("already there");
  else throw err;
}

// Query by type and area: the stations within 2 km of a point, with their count.
const result = await client.GET("/entities", {
  params: {
    query: {
      type: "AirQualityObserved",
      georel: "near;maxDistance==2000",
      geometry: "Point",
      coordinates: "[-1.55,47.22]",
      count: true,
    },
  },
});
const near = asEntities(await unwrap(result));
console.log(result.response.headers.get("NGSILD-Results-Count"), "stations near the point");
for (const e of near) console.log(e.id, (e.no2 as Property).value);

// All the stations, 100 per request, following the pages of the server.
for await (const e of queryEntitiesAll(client, { type: "AirQualityObserved", limit: 100, options: ["keyValues"] })) {
  console.log(e.id, e.no2);
}

// Record a time series of no2 (temporal API): one instance per observation.
const no2Series: AttributeInstance[] = [
  { type: "Property", value: 21, unitCode: "GQ", observedAt: "2026-03-01T10:00:00Z" },
  { type: "Property", value: 26.5, unitCode: "GQ", observedAt: "2026-03-01T11:00:00Z" },
];
// The generated TemporalEntity type admits no literal with id and type (see below).
const history = { id: station.id, type: station.type, no2: no2Series } satisfies TemporalEntity;
await unwrap(client.POST("/temporal/entities", { body: history }));

// Read it back: the last 10 instances of no2 observed since March 1st.
const series = await unwrap(
  client.GET("/temporal/entities/{entityId}", {
    params: {
      path: { entityId: station.id },
      query: { attrs: ["no2"], timerel: "after", timeAt: "2026-03-01T00:00:00Z", lastN: 10 },
    },
  }),
);
for (const i of instancesOf(series, "no2")) console.log(i.observedAt, (i as Property).value, i.instanceId);

// The daily average and maximum of no2 in March: [value, start, end] per day.
const daily = await unwrap(
  client.GET("/temporal/entities/{entityId}", {
    params: {
      path: { entityId: station.id },
      query: {
        attrs: ["no2"],
        format: "aggregatedValues",
        aggrMethods: ["avg", "max"],
        aggrPeriodDuration: "P1D",
        timerel: "between",
        timeAt: "2026-03-01T00:00:00Z",
        endTimeAt: "2026-04-01T00:00:00Z",
      },
    },
  }),
);
for (const [avg, start, end] of temporalValuesOf(daily, "no2")?.avg ?? []) console.log("from", start, "to", end, "average", avg);

// Subscribe: the endpoint receives a Notification (keyValues) each time the
// no2 of a station changes to more than 40.
const subscribed = await client.POST("/subscriptions", {
  body: {
    type: "Subscription",
    entities: [{ type: "AirQualityObserved" }],
    watchedAttributes: ["no2"],
    q: "no2>40",
    notification: { format: "keyValues", endpoint: { uri: "https://alerts.example.org/ngsi-ld/notify" } },
  },
});
await unwrap(subscribed);
console.log("subscription", subscribed.response.headers.get("Location"));

// The receiving side, served at the endpoint (here with node:http).
createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const n = JSON.parse(body) as Notification;
    for (const e of n.data) console.log(n.subscriptionId, e.id, "no2 =", e.no2);
    res.writeHead(204).end();
  });
}).listen(8080);
