// Shared by the browser checks: Debian's Chromium, headless, driven by
// playwright-core; every console error, failed load and request to another
// origin is recorded, so a check can insist there were none.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export const base = process.env.LEADSCORE_URL ?? "http://127.0.0.1:8080";
export const artefacts = process.env.ARTEFACTS_DIR ?? "../../target/artefacts";

export function fail(message) {
  console.error(`browser: FAILED: ${message}`);
  process.exit(1);
}

export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(base).origin;
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("request", (request) => {
    const url = request.url();
    if (url.startsWith("data:")) return;
    const target = new URL(url);
    const sameOrigin =
      target.origin === origin ||
      (target.protocol.startsWith("ws") && target.host === new URL(base).host);
    if (!sameOrigin) problems.push(`request off-origin: ${url}`);
  });
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  mkdirSync(artefacts, { recursive: true });
  return { browser, page, problems };
}

export async function graphql(query, variables, token) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`${query.slice(0, 40)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}
