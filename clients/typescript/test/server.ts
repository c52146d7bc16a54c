// Starts a reference server for the tests: the opentid binary named by the
// OPENTID_BIN environment variable, on a free loopback port and a fresh
// database.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";

import { createOpenTIDClient, type OpenTIDClient } from "../src/index.js";

export const skipReason = process.env.OPENTID_BIN
  ? undefined
  : "OPENTID_BIN is not set: build the server with `go build -o /tmp/opentid ./cmd/opentid` " +
    "at the root of the repository, then run `OPENTID_BIN=/tmp/opentid npm test`";

/** A user @context the server loads from a file, never from the network. */
export const testContextUrl = "https://example.org/opentid-test/context.jsonld";

const testContext = {
  "@context": {
    AirQualityObserved: "https://opentid.org/ns/AirQualityObserved",
    no2: "https://opentid.org/ns/no2",
  },
};

export interface RunningServer {
  /** Base URL of the API, ending in /ngsi-ld/v1. */
  baseUrl: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(root: string, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`opentid exited with ${proc.exitCode}:\n${logs()}`);
    try {
      const r = await fetch(`${root}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`opentid did not become healthy:\n${logs()}`);
}

export async function startServer(): Promise<RunningServer> {
  const bin = process.env.OPENTID_BIN;
  if (!bin) throw new Error("OPENTID_BIN is not set");
  const dir = await mkdtemp(join(tmpdir(), "opentid-ts-"));
  const contextFile = join(dir, "context.jsonld");
  await writeFile(contextFile, JSON.stringify(testContext));
  const port = await freePort();
  const proc = spawn(
    bin,
    [
      "serve",
      "--addr", `127.0.0.1:${port}`,
      "--db", join(dir, "opentid.db"),
      "--context-file", `${testContextUrl}=${contextFile}`,
      "--offline-contexts",
      // The subscriptions of the tests notify a receiver on the loopback interface.
      "--allow-private-endpoints",
      "--log-level", "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  proc.stdout?.on("data", (b) => (output += b));
  proc.stderr?.on("data", (b) => (output += b));
  const root = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(root, proc, () => output);
  } catch (err) {
    proc.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    baseUrl: `${root}/ngsi-ld/v1`,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The server of a suite and a client of it, set once the suite has started. */
export interface SuiteServer {
  server: RunningServer;
  client: OpenTIDClient;
}

/**
 * Starts a reference server before the tests of the enclosing suite and
 * stops it after them; call it in the body of `describe`.
 */
export function serverForSuite(): SuiteServer {
  const suite = {} as SuiteServer;
  before(async () => {
    suite.server = await startServer();
    suite.client = createOpenTIDClient({ baseUrl: suite.server.baseUrl });
  });
  after(async () => {
    await suite.server?.stop();
  });
  return suite;
}
