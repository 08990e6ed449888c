// End-to-end check with the reference client (graphql-ws): a rep signs in and
// subscribes to notificationAdded; a manager, in another session, assigns a
// lead to the rep; the rep's subscription must deliver it. Exits non-zero on
// any failure. Usage: LEADSCORE_URL=http://127.0.0.1:8080 node notification_bell.mjs
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const base = process.env.LEADSCORE_URL ?? "http://127.0.0.1:8080";
const password = process.env.DEMO_PASSWORD ?? "leadscore-demo";

function fail(message) {
  console.error(`e2e: FAILED: ${message}`);
  process.exit(1);
}

setTimeout(() => fail("no notification within 20 s"), 20_000).unref();

async function gql(query, variables, token) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`${query.slice(0, 40)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function signIn(email) {
  const data = await gql(
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id } } }",
    { e: email, p: password },
  );
  return { token: data.login.accessToken, id: data.login.user.id };
}

const rep = await signIn("rep1@example.com");
const manager = await signIn("manager@example.com");

const client = createClient({
  url: `${base.replace(/^http/, "ws")}/graphql/ws`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${rep.token}` },
});

const received = new Promise((resolve, reject) => {
  client.subscribe(
    {
      query:
        "subscription { notificationAdded { unreadCount notification { kind title lead { id } } } }",
    },
    { next: resolve, error: reject, complete: () => reject(new Error("completed early")) },
  );
});

// Give the subscription a moment to be registered before the change.
await new Promise((r) => setTimeout(r, 500));
const created = await gql(
  'mutation { createLead(input: { firstName: "E2E", lastName: "Lead", allowDuplicate: true }) { id } }',
  {},
  manager.token,
);
const leadId = created.createLead.id;
await gql(
  "mutation($l: ID!, $u: ID!) { assignLead(leadId: $l, userId: $u) { id } }",
  { l: leadId, u: rep.id },
  manager.token,
);

const message = await received.catch((e) => fail(JSON.stringify(e)));
const added = message?.data?.notificationAdded;
if (!added) fail(`unexpected message ${JSON.stringify(message)}`);
if (added.notification.kind !== "LEAD_ASSIGNED") fail(`kind ${added.notification.kind}`);
if (added.notification.lead?.id !== leadId) fail(`lead ${JSON.stringify(added.notification.lead)}`);
console.log(`e2e: graphql-ws delivered ${added.notification.kind} (unread ${added.unreadCount})`);
await client.dispose();
process.exit(0);
