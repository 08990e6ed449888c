// The GraphQL-over-HTTP audit of the `graphql-http` package (the spec's
// reference implementation) against a running server. Every MUST and every
// SHOULD must pass; a failure prints the audit's name and the response.
// Usage: LEADSCORE_URL=http://127.0.0.1:8080 node http_audit.mjs
import { auditServer } from "graphql-http";

const base = process.env.LEADSCORE_URL ?? "http://127.0.0.1:8080";
const results = await auditServer({ url: `${base}/graphql` });

let failed = 0;
for (const result of results) {
  if (result.status === "ok") continue;
  // `notice` marks what the spec leaves optional (MAY): reported, not failed.
  if (result.status === "notice") {
    console.log(`audit: notice: ${result.name}`);
    continue;
  }
  failed += 1;
  const body = result.response ? await result.response.text().catch(() => "") : "";
  console.error(`audit: ${result.status === "error" ? "MUST" : "SHOULD"} failed: ${result.name}: ${result.reason}`);
  if (body) console.error(`  response: ${body.slice(0, 300)}`);
}
const ok = results.filter((r) => r.status === "ok").length;
console.log(`audit: ${ok} of ${results.length} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
