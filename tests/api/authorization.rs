//! Every lead operation against every role: allowed, or refused with the
//! right code. A lead a rep may not see is NOT_FOUND, never FORBIDDEN.
use leadscore::entity::user::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    Code(&'static str),
    /// The operation succeeds and the lead is counted this many times.
    Count(u64),
}

use Expect::{Code, Count, Ok as Allowed};

/// (operation, query, path to a count, expectations for admin, manager, owner, other rep, anonymous)
type Case = (
    &'static str,
    &'static str,
    Option<&'static [&'static str]>,
    [Expect; 5],
);

const NOT_FOUND: Expect = Code("NOT_FOUND");
const FORBIDDEN: Expect = Code("FORBIDDEN");
const UNAUTHENTICATED: Expect = Code("UNAUTHENTICATED");

/// A fresh lead assigned to rep1, with a manager's note and rep1's activity.
struct Fixture {
    lead: String,
    unassigned: String,
    note: String,
}

struct People {
    admin: String,
    manager: String,
    manager_id: String,
    owner: String,
    owner_id: String,
    other: String,
}

async fn fixture(app: &TestApp, p: &People) -> Fixture {
    let lead = app
        .create_lead(&p.manager, json!({ "lastName": "Quetzal" }))
        .await;
    let unassigned = app
        .create_lead(&p.manager, json!({ "lastName": "Nobody" }))
        .await;
    app.assign(&p.manager, &lead, &p.owner_id).await;
    let note = app
        .gql(
            "mutation($l: ID!) { addNote(leadId: $l, body: \"manager's note\") { id } }",
            json!({ "l": lead }),
            Some(&p.manager),
        )
        .await;
    app.gql("mutation($l: ID!) { logActivity(input: { leadId: $l, kind: CALL, summary: \"called\" }) { id } }", json!({ "l": lead }), Some(&p.owner)).await;
    Fixture {
        lead,
        unassigned,
        note: note["data"]["addNote"]["id"].as_str().unwrap().to_string(),
    }
}

fn check(what: &str, role: &str, expect: Expect, body: &Value, count_path: Option<&[&str]>) {
    match expect {
        Allowed => assert!(
            body.get("errors").is_none(),
            "{what} as {role}: expected success, got {body}"
        ),
        Code(code) => assert_eq!(error_code(body), code, "{what} as {role}: {body}"),
        Count(n) => {
            let mut v = &body["data"];
            for key in count_path.expect("a count path") {
                v = &v[*key];
            }
            assert_eq!(v.as_u64(), Some(n), "{what} as {role}: {body}");
        }
    }
}

#[tokio::test]
async fn every_lead_operation_is_allowed_or_refused_per_role() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let owner = app.signed_in("owner@example.com", Role::SalesRep).await;
    let other = app.signed_in("other@example.com", Role::SalesRep).await;
    let p = People {
        admin: admin.access,
        manager: manager.access,
        manager_id: manager.user_id,
        owner: owner.access,
        owner_id: owner.user_id,
        other: other.access,
    };
    let nested = "query($l: ID!) { lead(id: $l) { id assignments { lead { id } assignee { email } } notes { edges { node { lead { id } author { email } } } } activities { edges { node { lead { id } actor { email } } } } } }";
    let table: Vec<Case> = vec![
        ("lead", "query($l: ID!) { lead(id: $l) { id } }", None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("nested paths", nested, None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("search", "{ leads(filter: { search: \"quetzal\" }) { totalCount } }", Some(&["leads", "totalCount"]), [Count(1), Count(1), Count(1), Count(0), UNAUTHENTICATED]),
        ("list", "{ leads { edges { node { id } } totalCount } }", Some(&["leads", "totalCount"]), [Count(2), Count(2), Count(1), Count(0), UNAUTHENTICATED]),
        ("myLeads", "{ myLeads { totalCount } }", Some(&["myLeads", "totalCount"]), [Count(0), Count(0), Count(1), Count(0), UNAUTHENTICATED]),
        ("createLead", "mutation { createLead(input: { firstName: \"New\", lastName: \"Lead\" }) { id } }", None, [Allowed, Allowed, Allowed, Allowed, UNAUTHENTICATED]),
        ("updateLead", "mutation($l: ID!) { updateLead(id: $l, input: { status: CONTACTED }) { id } }", None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("deleteLead", "mutation($l: ID!) { deleteLead(id: $l) }", None, [Allowed, Allowed, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED]),
        ("logActivity", "mutation($l: ID!) { logActivity(input: { leadId: $l, kind: MEETING, summary: \"met\" }) { id } }", None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("addNote", "mutation($l: ID!) { addNote(leadId: $l, body: \"hi\") { id lead { id } } }", None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("editNote", "mutation($n: ID!) { editNote(id: $n, body: \"changed\") { id } }", None, [FORBIDDEN, Allowed, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED]),
        ("deleteNote", "mutation($n: ID!) { deleteNote(id: $n) }", None, [Allowed, Allowed, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED]),
        ("assignLead", "mutation($u: ID!, $o: ID!) { assignLead(leadId: $u, userId: $o) { id } }", None, [Allowed, Allowed, NOT_FOUND, NOT_FOUND, UNAUTHENTICATED]),
        ("transferLead", "mutation($l: ID!, $m: ID!) { transferLead(leadId: $l, toUserId: $m) { id status } }", None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("completeAssignment", "mutation($l: ID!) { completeAssignment(leadId: $l) { id } }", None, [Allowed, Allowed, Allowed, NOT_FOUND, UNAUTHENTICATED]),
        ("auditLog", "{ auditLog(first: 5) { totalCount } }", None, [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, UNAUTHENTICATED]),
    ];
    let roles = [
        ("admin", Some(&p.admin)),
        ("manager", Some(&p.manager)),
        ("owner", Some(&p.owner)),
        ("other rep", Some(&p.other)),
        ("anonymous", None),
    ];
    for (what, query, count_path, expectations) in &table {
        for ((role, token), expect) in roles.iter().zip(expectations) {
            let f = fixture(&app, &p).await;
            let vars = json!({ "l": f.lead, "n": f.note, "u": f.unassigned, "o": p.owner_id, "m": p.manager_id });
            let mut vars = vars;
            // Send only the variables the operation declares.
            for key in ["l", "n", "u", "o", "m"] {
                if !query.contains(&format!("${key}:")) {
                    vars.as_object_mut().unwrap().remove(key);
                }
            }
            let body = app.gql(query, vars, token.map(|t| t.as_str())).await;
            check(what, role, *expect, &body, *count_path);
            // Leave the list counts to the fixture of the next case alone.
            app.gql(
                "mutation($l: ID!) { deleteLead(id: $l) }",
                json!({ "l": f.lead }),
                Some(&p.admin),
            )
            .await;
            app.gql(
                "mutation($l: ID!) { deleteLead(id: $l) }",
                json!({ "l": f.unassigned }),
                Some(&p.admin),
            )
            .await;
        }
    }
}
