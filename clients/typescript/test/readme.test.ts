import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";

// The package root, from dist/test/ where the compiled tests run.
const root = new URL("../../", import.meta.url);

it("the example of README.md is test/readme-example.ts, which the build type-checks", async () => {
  const readme = await readFile(new URL("README.md", root), "utf8");
  const example = await readFile(new URL("test/readme-example.ts", root), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README.md has no ts code block");
  const code = example.slice(example.indexOf("import "));
  assert.equal(code, block.replace('"@opentid/client"', '"../src/index.js"'));
});
