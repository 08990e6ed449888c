use std::time::{Duration, Instant};

use jsonwebtoken::{encode, EncodingKey, Header};
use leadscore::entity::{audit_log, user, user::Role};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{
    assert_ok, error_code, session_of, spawn_app, spawn_app_with, tokens, PASSWORD, TEST_SECRET,
};

const REGISTER: &str = "mutation($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken expiresAt user { id email fullName role isActive } }
}";
const ME: &str = "{ me { id email role } }";
const REFRESH: &str =
    "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }";
const LOGOUT: &str = "mutation($t: String!) { logout(refreshToken: $t) }";

fn register_input(email: &str, password: &str) -> Value {
    json!({ "input": { "email": email, "password": password, "fullName": "Dana Seller" } })
}

#[tokio::test]
async fn sign_up_creates_a_signed_in_sales_rep() {
    let app = spawn_app().await;

    let body = app
        .gql(REGISTER, register_input("Dana@Example.com", PASSWORD), None)
        .await;

    assert_ok(&body);
    let user = &body["data"]["register"]["user"];
    assert_eq!(user["email"], "dana@example.com");
    assert_eq!(user["role"], "SALES_REP");
    let access = body["data"]["register"]["accessToken"].as_str().unwrap();
    let me = app.gql(ME, json!({}), Some(access)).await;
    assert_eq!(me["data"]["me"]["email"], "dana@example.com");
}

#[tokio::test]
async fn sign_up_with_an_email_taken_in_another_case_is_a_conflict() {
    let app = spawn_app().await;
    app.gql(REGISTER, register_input("dana@example.com", PASSWORD), None)
        .await;

    let body = app
        .gql(REGISTER, register_input("DANA@example.COM", PASSWORD), None)
        .await;

    assert_eq!(error_code(&body), "CONFLICT");
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn sign_up_with_bad_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    for (email, password, field) in [
        ("not-an-email", PASSWORD, "input.email"),
        ("ok@example.com", "short", "input.password"),
        ("ok@example.com", &"x".repeat(129) as &str, "input.password"),
    ] {
        let body = app
            .gql(REGISTER, register_input(email, password), None)
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn sign_up_is_refused_when_turned_off() {
    let app = spawn_app_with(|s| s.allow_signup = false).await;

    let body = app
        .gql(REGISTER, register_input("dana@example.com", PASSWORD), None)
        .await;

    assert_eq!(error_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn login_returns_tokens_that_open_me_and_records_the_success() {
    let app = spawn_app().await;
    app.create_user("rep@example.com", Role::SalesRep).await;

    let body = app.login("  REP@example.com ", PASSWORD).await;

    assert_ok(&body);
    let t = tokens(&body["data"]["login"]);
    let me = app.gql(ME, json!({}), Some(&t.access)).await;
    assert_eq!(me["data"]["me"]["role"], "SALES_REP");
    let successes = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login.succeeded"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(successes, 1);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_look_and_cost_the_same() {
    let app = spawn_app().await;
    app.create_user("rep@example.com", Role::SalesRep).await;
    // Warm up first: a new pool's first connection (TLS negotiation on
    // PostgreSQL) would otherwise be charged to whichever attempt runs first.
    assert_ok(&app.login("rep@example.com", PASSWORD).await);

    // The fastest attempt of each kind: under a loaded test run, waiting
    // behind other tests' hashes only ever adds time, so minima compare fairly.
    let mut wrong_time = Duration::MAX;
    let mut unknown_time = Duration::MAX;
    let (mut wrong, mut unknown) = (Value::Null, Value::Null);
    // Two rounds: a fifth failure from this IP would start throttling.
    for _ in 0..2 {
        let started = Instant::now();
        wrong = app.login("rep@example.com", "wrong password!").await;
        wrong_time = wrong_time.min(started.elapsed());
        let started = Instant::now();
        unknown = app.login("nobody@example.com", "wrong password!").await;
        unknown_time = unknown_time.min(started.elapsed());
    }

    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert_eq!(
        wrong["errors"][0]["extensions"],
        unknown["errors"][0]["extensions"]
    );
    // Without the decoy hash an unknown email answers ~30x faster.
    assert!(
        unknown_time * 3 > wrong_time,
        "unknown email took {unknown_time:?}, wrong password {wrong_time:?}"
    );
    let failures = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login.failed"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failures, 4);
}

#[tokio::test]
async fn five_failures_throttle_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    app.create_user("rep@example.com", Role::SalesRep).await;
    for _ in 0..5 {
        assert_eq!(
            error_code(&app.login("rep@example.com", "wrong password!").await),
            "UNAUTHENTICATED"
        );
    }

    let body = app.login("rep@example.com", PASSWORD).await;

    assert_eq!(error_code(&body), "TOO_MANY_REQUESTS");
    let retry = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((1..=30).contains(&retry), "retryAfter {retry}");
}

#[tokio::test]
async fn one_accounts_failures_do_not_lock_out_a_colleague_at_the_same_address() {
    let app = spawn_app().await;
    app.create_user("rep@example.com", Role::SalesRep).await;
    app.create_user("manager@example.com", Role::Manager).await;
    let guesses: String = (0..10)
        .map(|i| format!("g{i}: login(email: \"rep@example.com\", password: \"wrong password!\") {{ accessToken }} "))
        .collect();
    for _ in 0..2 {
        app.gql(&format!("mutation {{ {guesses} }}"), json!({}), None)
            .await;
    }

    let colleague = app.login("manager@example.com", PASSWORD).await;
    let guessed = app.login("rep@example.com", PASSWORD).await;

    assert_ok(&colleague);
    assert_eq!(error_code(&guessed), "TOO_MANY_REQUESTS");
}

#[tokio::test]
async fn an_address_that_guesses_across_many_accounts_is_throttled() {
    let app = spawn_app().await;
    app.create_user("rep@example.com", Role::SalesRep).await;
    for round in 0..10 {
        let guesses: String = (0..10)
            .map(|i| format!("g{i}: login(email: \"guess{round}x{i}@example.com\", password: \"wrong password!\") {{ accessToken }} "))
            .collect();
        app.gql(&format!("mutation {{ {guesses} }}"), json!({}), None)
            .await;
    }

    let body = app.login("rep@example.com", PASSWORD).await;

    assert_eq!(error_code(&body), "TOO_MANY_REQUESTS");
    assert!(
        body["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app().await;
    app.create_user("rep@example.com", Role::SalesRep).await;
    for _ in 0..4 {
        app.login("rep@example.com", "wrong password!").await;
    }
    assert_ok(&app.login("rep@example.com", PASSWORD).await);
    for _ in 0..4 {
        app.login("rep@example.com", "wrong password!").await;
    }

    let body = app.login("rep@example.com", PASSWORD).await;

    assert_ok(&body);
}

#[tokio::test]
async fn a_refresh_token_is_single_use_and_rotates() {
    let app = spawn_app().await;
    let first = app.signed_in("rep@example.com", Role::SalesRep).await;

    let body = app.gql(REFRESH, json!({ "t": first.refresh }), None).await;

    assert_ok(&body);
    let second = &body["data"]["refreshToken"];
    assert_ne!(second["refreshToken"], first.refresh.as_str());
    let me = app.gql(ME, json!({}), second["accessToken"].as_str()).await;
    assert_ok(&me);
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let first = app.signed_in("rep@example.com", Role::SalesRep).await;
    let rotated = app.gql(REFRESH, json!({ "t": first.refresh }), None).await;
    let second_refresh = rotated["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let second_access = rotated["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();

    let replay = app.gql(REFRESH, json!({ "t": first.refresh }), None).await;

    assert_eq!(error_code(&replay), "UNAUTHENTICATED");
    let after = app.gql(REFRESH, json!({ "t": second_refresh }), None).await;
    assert_eq!(
        error_code(&after),
        "UNAUTHENTICATED",
        "the thief's rotated token must die too"
    );
    let me = app.post(json!({ "query": ME }), Some(&second_access)).await;
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn logout_ends_the_refresh_token_and_its_access_tokens() {
    let app = spawn_app().await;
    let t = app.signed_in("rep@example.com", Role::SalesRep).await;

    let body = app.gql(LOGOUT, json!({ "t": t.refresh }), None).await;

    assert_eq!(body["data"]["logout"], true);
    assert_eq!(
        error_code(&app.gql(REFRESH, json!({ "t": t.refresh }), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(ME, json!({}), Some(&t.access)).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    let laptop = app.signed_in("rep@example.com", Role::SalesRep).await;
    let phone = tokens(&app.login("rep@example.com", PASSWORD).await["data"]["login"]);
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken } }";

    let wrong = app
        .gql(
            change,
            json!({ "c": "not my password", "n": "a brand new password" }),
            Some(&laptop.access),
        )
        .await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "currentPassword");
    let body = app
        .gql(
            change,
            json!({ "c": PASSWORD, "n": "a brand new password" }),
            Some(&laptop.access),
        )
        .await;

    assert_ok(&body);
    assert_eq!(
        error_code(&app.gql(ME, json!({}), Some(&phone.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(REFRESH, json!({ "t": phone.refresh }), None).await),
        "UNAUTHENTICATED"
    );
    assert_ok(
        &app.gql(
            ME,
            json!({}),
            body["data"]["changePassword"]["accessToken"].as_str(),
        )
        .await,
    );
    assert_ok(&app.login("rep@example.com", "a brand new password").await);
}

#[tokio::test]
async fn me_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;

    let body = app.gql(ME, json!({}), None).await;

    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

fn claims(user_id: &str, session: uuid::Uuid, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": user_id, "role": "ADMIN", "ver": 0, "sid": session, "typ": "access",
        "iss": "leadscore", "aud": "leadscore-api", "iat": now, "exp": now + 600
    });
    for (key, value) in overrides.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_that_are_expired_forged_unsigned_or_meant_for_others_are_rejected() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let (id, sid) = (admin.user_id.clone(), session_of(&admin.access));
    let other = app.signed_in("other@example.com", Role::Admin).await;
    let now = chrono::Utc::now().timestamp();
    let claims = |id: &str, overrides: Value| claims(id, sid, overrides);
    let valid = sign(&claims(&id, json!({})), TEST_SECRET);
    let header_none = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64_url(claims(&id, json!({})).to_string().as_bytes());
    let cases = [
        (
            "expired",
            sign(
                &claims(&id, json!({ "iat": now - 1000, "exp": now - 100 })),
                TEST_SECRET,
            ),
        ),
        (
            "forged",
            sign(
                &claims(&id, json!({})),
                "another-secret-key-that-is-32-bytes-long!",
            ),
        ),
        ("alg none", format!("{header_none}.{payload}.")),
        (
            "wrong audience",
            sign(&claims(&id, json!({ "aud": "someone-else" })), TEST_SECRET),
        ),
        (
            "wrong issuer",
            sign(&claims(&id, json!({ "iss": "evil" })), TEST_SECRET),
        ),
        (
            "wrong type",
            sign(&claims(&id, json!({ "typ": "refresh" })), TEST_SECRET),
        ),
        ("garbage", "not.a.token".to_string()),
        (
            "a session never opened",
            sign(
                &claims(&id, json!({ "sid": uuid::Uuid::now_v7() })),
                TEST_SECRET,
            ),
        ),
        (
            "another user's session",
            sign(
                &claims(&id, json!({ "sid": session_of(&other.access) })),
                TEST_SECRET,
            ),
        ),
    ];

    // The control: the same claims, properly signed, are accepted.
    assert_ok(&app.gql(ME, json!({}), Some(&valid)).await);
    for (what, token) in cases {
        let response = app.post(json!({ "query": ME }), Some(&token)).await;
        assert_eq!(response.status(), 401, "{what}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{what}");
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_deactivated_users_live_token_stops_working_at_once() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    assert_ok(&app.gql(ME, json!({}), Some(&rep.access)).await);

    let body = app
        .gql(
            "mutation($id: ID!) { deactivateUser(id: $id) { isActive } }",
            json!({ "id": rep.user_id }),
            Some(&admin.access),
        )
        .await;

    assert_eq!(body["data"]["deactivateUser"]["isActive"], false);
    assert_eq!(
        error_code(&app.gql(ME, json!({}), Some(&rep.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(REFRESH, json!({ "t": rep.refresh }), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.login("rep@example.com", PASSWORD).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn sign_ups_from_one_address_are_throttled_each_alias_counting() {
    let app = spawn_app().await;
    let register = |i: usize| {
        format!("r{i}: register(input: {{email: \"new{i}@example.com\", password: \"long enough pass\", fullName: \"New {i}\"}}) {{ accessToken }} ")
    };
    let first: String = (0..6).map(register).collect();
    let second: String = (6..12).map(register).collect();

    let early = app
        .gql(&format!("mutation {{ {first} }}"), json!({}), None)
        .await;
    let late = app
        .gql(&format!("mutation {{ {second} }}"), json!({}), None)
        .await;

    assert_ok(&early);
    let created = leadscore::entity::user::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(created.len(), 10, "the 11th sign-up of the hour is refused");
    assert_eq!(error_code(&late), "TOO_MANY_REQUESTS");
    assert!(
        late["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 60
    );
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_failed_sign_ins() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    const CHANGE: &str = "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"a brand new password\") { accessToken } }";
    for _ in 0..5 {
        let wrong = app
            .gql(CHANGE, json!({ "c": "not my password" }), Some(&rep.access))
            .await;
        assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    }

    let right = app
        .gql(CHANGE, json!({ "c": PASSWORD }), Some(&rep.access))
        .await;

    assert_eq!(error_code(&right), "TOO_MANY_REQUESTS");
}

/// A signed-in request re-checks its token against what the server
/// remembers; another replica's deactivation, logout or password change
/// must reach that memory through the event listener, not wait it out.
#[tokio::test]
#[cfg_attr(not(lane_postgres), ignore = "replicas share a PostgreSQL database")]
async fn access_ended_on_one_replica_ends_at_once_on_another_that_remembered_it() {
    let app = spawn_app().await;
    let (other_port, _other) = app.replica().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let client = reqwest::Client::new();
    let me_on_other = |token: String| {
        let client = client.clone();
        async move {
            client
                .post(format!("http://127.0.0.1:{other_port}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": ME }))
                .send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    // Twice, so the second answer comes from what the replica remembers.
    assert_ok(&me_on_other(rep.access.clone()).await);
    assert_ok(&me_on_other(rep.access.clone()).await);

    let started = Instant::now();
    let body = app
        .gql(
            "mutation($id: ID!) { deactivateUser(id: $id) { isActive } }",
            json!({ "id": rep.user_id }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(body["data"]["deactivateUser"]["isActive"], false);
    loop {
        let answer = me_on_other(rep.access.clone()).await;
        if error_code(&answer) == "UNAUTHENTICATED" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the replica still let the deactivated rep in: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn logout_ends_a_remembered_access_token_on_the_next_request() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    assert_ok(&app.gql(ME, json!({}), Some(&rep.access)).await);
    assert_ok(&app.gql(ME, json!({}), Some(&rep.access)).await);

    assert_ok(&app.gql(LOGOUT, json!({ "t": rep.refresh }), None).await);

    assert_eq!(
        error_code(&app.gql(ME, json!({}), Some(&rep.access)).await),
        "UNAUTHENTICATED"
    );
}
