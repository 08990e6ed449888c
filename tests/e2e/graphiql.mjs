// GraphiQL in headless Chromium with no way off the machine: the page must
// render the editor from the server's own files, load the schema through
// the standard introspection query, run `{ me { email } }` with a token
// typed into its Headers tab, and make no request to another origin.
// Usage: LEADSCORE_URL=http://127.0.0.1:8080 node graphiql.mjs
import { base, artefacts, fail, openBrowser, graphql } from "./browser.mjs";

setTimeout(() => fail("GraphiQL check did not finish within 60 s"), 60_000).unref();

const login = await graphql(
  "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id } } }",
  { e: "rep1@example.com", p: process.env.DEMO_PASSWORD ?? "leadscore-demo" },
);
const { browser, page, problems } = await openBrowser();
try {
  const introspected = page.waitForResponse(
    async (r) => r.url().endsWith("/graphql") && (r.request().postData() ?? "").includes("IntrospectionQuery"),
  );
  await page.goto(`${base}/graphiql`, { waitUntil: "load" });
  await page.waitForSelector(".graphiql-container .graphiql-query-editor .CodeMirror", { timeout: 20_000 });
  const introspection = await (await introspected).json();
  if (!introspection.data?.__schema) fail(`introspection refused: ${JSON.stringify(introspection).slice(0, 300)}`);

  await page.evaluate(() => {
    const editor = document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror;
    editor.setValue("{ me { email } }");
  });
  // The Headers tab of the editor tools.
  await page.locator(".graphiql-editor-tools button", { hasText: "Headers" }).click();
  const headers = page.locator(".graphiql-editor-tool .CodeMirror:visible").first();
  await headers.evaluate((editor, token) => {
    editor.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
  }, login.login.accessToken);
  await page.locator(".graphiql-execute-button").click();
  await page.waitForFunction(
    () => document.querySelector(".graphiql-response")?.textContent.includes("rep1@example.com"),
    null,
    { timeout: 15_000 },
  );

  // A subscription through the same page: the websocket, authorised by the
  // Headers tab, hears the count now and again after a manager assigns.
  await page.evaluate(() => {
    const editor = document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror;
    editor.setValue("subscription { unreadNotificationCountChanged }");
  });
  // GraphiQL parses the editor's text after a pause; the fetcher picks the
  // websocket by the parsed operation.
  await page.waitForTimeout(1_000);
  await page.locator(".graphiql-execute-button").click();
  const count = () =>
    page.evaluate(() => {
      const match = document
        .querySelector(".graphiql-response")
        ?.textContent.match(/"unreadNotificationCountChanged":\s*(\d+)/);
      return match ? Number(match[1]) : null;
    });
  await page.waitForFunction(
    () => /"unreadNotificationCountChanged":\s*\d+/.test(document.querySelector(".graphiql-response")?.textContent ?? ""),
    null,
    { timeout: 15_000 },
  ).catch(async () =>
    fail(`no subscription result: ${await page.locator(".graphiql-response").textContent()} ${problems.join("; ")}`),
  );
  const before = await count();
  const manager = await graphql(
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
    { e: "manager@example.com", p: process.env.DEMO_PASSWORD ?? "leadscore-demo" },
  );
  const lead = await graphql(
    'mutation { createLead(input: { firstName: "GraphiQL", lastName: "Check", allowDuplicate: true }) { id } }',
    {},
    manager.login.accessToken,
  );
  await graphql(
    "mutation($l: ID!, $u: ID!) { assignLead(leadId: $l, userId: $u) { id } }",
    { l: lead.createLead.id, u: login.login.user.id },
    manager.login.accessToken,
  );
  for (let i = 0; i < 100 && (await count()) === before; i++) await page.waitForTimeout(100);
  if ((await count()) !== before + 1) fail(`subscription showed ${await count()} after ${before}`);
  await page.screenshot({ path: `${artefacts}/graphiql.png` });
  if (problems.length) fail(problems.join("\n"));
  console.log(`graphiql: rendered, introspected, ran { me { email } } and a live subscription; screenshot ${artefacts}/graphiql.png`);
} finally {
  await browser.close();
}
