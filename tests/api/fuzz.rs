//! Generated documents through the whole request path (HTTP, admission,
//! parsing, validation, execution) of one real server: none may panic,
//! abort the process, take long, or answer without an error code.
//! `FUZZ_CASES` sets how many (CI runs the default).
use std::time::{Duration, Instant};

use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::{json, Value};

use crate::helpers::spawn_app;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    "...",
    "$v",
    "@include(if: true)",
    "@skip(if: $v)",
    "query",
    "mutation",
    "subscription",
    "fragment F on Query",
    "fragment G on Lead",
    "on",
    "__typename",
    "__schema",
    "types",
    "name",
    "me",
    "id",
    "leads",
    "lead(id: \"x\")",
    "edges",
    "node",
    "score",
    "notes(first: 3)",
    "first: 100",
    "filter: {search: \"a\"}",
    "a: me",
    "b: leads",
    "\"str\"",
    "\"\\u0000\"",
    "\"\"\"block\"\"\"",
    "1",
    "-2.5e3",
    "true",
    "null",
    "ENUM",
    "...F",
    "...G",
    "... on Query",
    "#comment\n",
    ",",
    "=",
    "!",
    "|",
    "&",
    "\u{0}",
    "é",
];

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        // A soup of GraphQL tokens.
        prop::collection::vec(prop::sample::select(TOKENS), 0..200).prop_map(|t| t.join(" ")),
        // Deep nesting of one bracket kind inside an argument.
        (0usize..4_000, prop::sample::select(&["[", "{a: ", "("][..])).prop_map(|(depth, open)| {
            let close = match open {
                "[" => "]",
                "(" => ")",
                _ => "}",
            };
            format!(
                "{{ __typename(x: {}1{}) }}",
                open.repeat(depth),
                close.repeat(depth)
            )
        }),
        // Fragments spreading earlier ones several times.
        (1usize..40, 1usize..4).prop_map(|(levels, fan)| {
            let mut doc =
                format!("query {{ ...F{levels} }} fragment F0 on Query {{ __typename }} ");
            for level in 1..=levels {
                let spreads = format!("...F{} ", level - 1).repeat(fan);
                doc.push_str(&format!("fragment F{level} on Query {{ {spreads} }} "));
            }
            doc
        }),
        // Arbitrary text.
        any::<String>(),
    ]
}

fn every_error_has_a_code(body: &Value) -> bool {
    body.get("errors").is_none_or(|errors| {
        errors.as_array().is_some_and(|list| {
            list.iter().all(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .is_some_and(|c| !c.is_empty())
            })
        })
    })
}

#[test]
fn generated_documents_never_crash_hang_or_answer_without_a_code() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(spawn_app());
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&(document(), any::<bool>()), |(query, over_get)| {
        runtime.block_on(async {
            let started = Instant::now();
            let request = if over_get {
                app.client
                    .get(format!("{}/graphql", app.address))
                    .query(&[("query", query.as_str())])
            } else {
                app.client
                    .post(format!("{}/graphql", app.address))
                    .json(&json!({ "query": query, "variables": { "v": true } }))
            };
            let response = request
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
            let status = response.status().as_u16();
            let body: Value = response
                .json()
                .await
                .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
            prop_assert!(
                started.elapsed() < Duration::from_secs(5),
                "took {:?}",
                started.elapsed()
            );
            prop_assert!(status < 500, "status {status}: {body}");
            prop_assert!(every_error_has_a_code(&body), "{body}");
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    let alive = runtime.block_on(async {
        app.client
            .get(format!("{}/livez", app.address))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(alive.ok(), Some(200));
}
