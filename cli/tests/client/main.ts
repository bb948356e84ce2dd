// Calls the e-shop's catalog through its generated TypeScript client (`cws client catalog --lang
// typescript`), against a service `cws run` serves: argv = base URL, token, results bucket.
import { CatalogClient, ServiceError } from "./catalog.client";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`failed: ${what}`);
}

async function main(): Promise<void> {
  const [base, token, bucket] = process.argv.slice(2);
  const catalog = new CatalogClient(base, { token });
  // A path parameter (encoded) and a JSON body; the answer is the status the entry chose.
  const mug = { sku: "mug é 1", name: "Mug", category: "kitchen", price_cents: 900, tags: ["a", "b"] };
  check((await catalog.putProduct(mug.sku, mug)) === 204, "put answers 204");
  const rake = { sku: "rake", name: "Rake", category: "garden", price_cents: 2500, tags: ["a"] };
  check((await catalog.putProduct("rake", rake)) === 204, "second put answers 204");
  // Typed JSON answers, queries (an optional value, a repeated key).
  const got = await catalog.getProduct(mug.sku);
  check(got.name === "Mug" && got.tags.length === 2, `get: ${JSON.stringify(got)}`);
  check((await catalog.getProducts({ category: "kitchen" })).map((p) => p.sku).join() === mug.sku, "by category");
  check((await catalog.getProducts({ tags: ["a", "b"] })).length === 1, "by both tags");
  check((await catalog.getProducts()).length === 2, "no query: all");
  check((await catalog.patchProductPrice("rake", { price_cents: 5 })).price_cents === 5, "patched price");
  check((await catalog.getHealth()) === "ok", "text answer");
  // Error answers throw with their status and body.
  try {
    await catalog.getProduct("missing");
    check(false, "a missing product throws");
  } catch (e) {
    check(e instanceof ServiceError && e.status === 404, `404: ${e}`);
    check(JSON.stringify((e as ServiceError).body).includes("no such product"), "the error's body");
  }
  try {
    await new CatalogClient(base, { token: "wrong" }).getProduct(mug.sku);
    check(false, "a wrong token throws");
  } catch (e) {
    check(e instanceof ServiceError && e.status === 403, `403: ${e}`);
  }
  // An asynchronous call: 202 with where the record goes.
  const accepted = await catalog.queued({ bucket, key: "calls/ts.json" }).patchProductPrice("rake", { price_cents: 7 });
  check(accepted.bucket === bucket && accepted.key === "calls/ts.json" && accepted.request_id.length > 0, "accepted");
  console.log("CWS-OK");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
