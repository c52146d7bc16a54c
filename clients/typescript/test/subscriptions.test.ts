import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";

import { unwrap, ProblemError, type Notification, type OpenTIDClient } from "../src/index.js";
import { serverForSuite, skipReason } from "./server.js";

const stationId = "urn:ngsi-ld:AirQualityObserved:nantes-03";
const subscriptionId = "urn:ngsi-ld:Subscription:no2-alerts";

/** An HTTP endpoint that collects the notifications POSTed to it. */
class Receiver {
  private readonly queue: Notification[] = [];
  private waiting?: (n: Notification) => void;
  private server?: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (b) => (body += b));
      req.on("end", () => {
        res.writeHead(204).end();
        const n = JSON.parse(body) as Notification;
        if (this.waiting) this.waiting(n);
        else this.queue.push(n);
        this.waiting = undefined;
      });
    });
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/notify`;
  }

  /** The next notification, waiting up to 5 s for it. */
  next(): Promise<Notification> {
    const n = this.queue.shift();
    if (n) return Promise.resolve(n);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no notification within 5 s")), 5000);
      this.waiting = (n) => {
        clearTimeout(timer);
        resolve(n);
      };
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

describe("subscriptions and notifications", { skip: skipReason }, () => {
  const suite = serverForSuite();
  let client: OpenTIDClient;
  const receiver = new Receiver();

  before(async () => {
    client = suite.client;
    await receiver.start();
    await unwrap(
      client.POST("/entities", {
        body: { id: stationId, type: "AirQualityObserved", no2: { type: "Property", value: 20, unitCode: "GQ" } },
      }),
    );
  });
  after(async () => {
    await receiver.stop();
  });

  it("subscribes to the changes of no2 above a threshold", async () => {
    const r = await client.POST("/subscriptions", {
      body: {
        id: subscriptionId,
        type: "Subscription",
        entities: [{ type: "AirQualityObserved" }],
        watchedAttributes: ["no2"],
        q: "no2>40",
        notification: { format: "keyValues", endpoint: { uri: receiver.url, accept: "application/json" } },
      },
    });
    assert.equal(r.response.status, 201);
    assert.match(r.response.headers.get("Location") ?? "", /\/subscriptions\/urn:ngsi-ld:Subscription:no2-alerts$/);
  });

  it("notifies an update that matches", async () => {
    for (const value of [35, 45.5]) {
      await unwrap(
        client.PATCH("/entities/{entityId}/attrs/{attrId}", {
          params: { path: { entityId: stationId, attrId: "no2" } },
          body: { value },
        }),
      );
    }
    const n = await receiver.next();
    assert.equal(n.subscriptionId, subscriptionId);
    assert.equal(n.triggerReason, "entityUpdated");
    assert.deepEqual(
      n.data.map((e) => [e.id, e.no2]),
      [[stationId, 45.5]],
    );
  });

  it("shows the delivery in the subscription", async () => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const sub = await unwrap(
        client.GET("/subscriptions/{subscriptionId}", { params: { path: { subscriptionId } } }),
      );
      if (sub.notification?.timesSent === 1) {
        assert.equal(sub.status, "active");
        assert.equal(sub.notification.status, "ok");
        break;
      }
      if (Date.now() > deadline) assert.fail(`timesSent never reached 1: ${JSON.stringify(sub.notification)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const list = await unwrap(client.GET("/subscriptions", { params: { query: { limit: 10 } } }));
    assert.deepEqual(
      list.map((s) => s.id),
      [subscriptionId],
    );
  });

  it("pauses and deletes the subscription", async () => {
    const patched = await client.PATCH("/subscriptions/{subscriptionId}", {
      params: { path: { subscriptionId } },
      body: { isActive: false },
    });
    assert.equal(patched.response.status, 204);
    const sub = await unwrap(client.GET("/subscriptions/{subscriptionId}", { params: { path: { subscriptionId } } }));
    assert.equal(sub.status, "paused");

    const deleted = await client.DELETE("/subscriptions/{subscriptionId}", { params: { path: { subscriptionId } } });
    assert.equal(deleted.response.status, 204);
    await assert.rejects(
      unwrap(client.GET("/subscriptions/{subscriptionId}", { params: { path: { subscriptionId } } })),
      (err) => err instanceof ProblemError && err.status === 404 && err.type === "ResourceNotFound",
    );
  });
});
