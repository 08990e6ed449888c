// The /health dashboard in headless Chromium: it must draw every line with
// its urgency, the pool chart once two samples exist, and refresh itself,
// with no console error and no request leaving the origin. Saves a
// screenshot (target/artefacts/health.png) for CI to keep.
// The dashboard is served on ADMIN_BIND only: point LEADSCORE_URL there.
// Usage: LEADSCORE_URL=http://127.0.0.1:9100 node health_dashboard.mjs
import { base, artefacts, fail, openBrowser } from "./browser.mjs";

setTimeout(() => fail("dashboard check did not finish within 60 s"), 60_000).unref();

const { browser, page, problems } = await openBrowser();
try {
  await page.goto(`${base}/health`, { waitUntil: "load" });
  await page.waitForSelector("body[data-loaded=true]", { timeout: 15_000 });
  const items = await page.$$eval("#urgency tr", (rows) =>
    rows.map((r) => [r.dataset.item, r.querySelector(".level").textContent]),
  );
  for (const item of ["database", "circuit breaker", "connection pool", "event listener", "live connections", "background jobs"]) {
    const found = items.find(([name]) => name === item);
    if (!found) fail(`no line for ${item}: ${JSON.stringify(items)}`);
    if (!["critical", "high", "medium", "low"].includes(found[1])) fail(`${item} has level ${found[1]}`);
  }
  const database = await page.textContent('dd[data-figure="database"]');
  if (!/connected/.test(database)) fail(`database figure: ${database}`);
  const pool = await page.textContent('dd[data-figure="pool"]');
  if (!/\d+ in use \/ \d+ open \/ \d+ max/.test(pool)) fail(`pool figure: ${pool}`);
  // The charts need two samples (5 s apart); the page refreshes on its own.
  const firstUpdate = await page.textContent("#updated");
  await page.waitForSelector("#pool-chart polyline", { state: "attached", timeout: 20_000 });
  await page.waitForFunction((first) => document.querySelector("#updated").textContent !== first, firstUpdate, {
    timeout: 12_000,
  });
  await page.screenshot({ path: `${artefacts}/health.png`, fullPage: true });
  if (problems.length) fail(problems.join("\n"));
  console.log(`health: ${items.length} lines (${items.map(([n, l]) => `${n}=${l}`).join(", ")}); screenshot ${artefacts}/health.png`);
} finally {
  await browser.close();
}
