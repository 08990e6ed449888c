use leadscore::{
    app,
    auth::Actor,
    config::Settings,
    core::Core,
    entity::{lead, user::Role},
    service::{
        accounts::sessions::insert_user,
        crm::assignments,
        leads::{self, RawNewLead},
    },
    values::{Email, FullName, Parse},
};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

#[path = "../support/test_db.rs"]
mod test_db;
pub use test_db::TestDb;

/// Any string does as a hash: nobody signs in here.
const NO_PASSWORD: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

/// A core on a migrated database of its own (kept alive by `TestDb`).
pub async fn core() -> (Core, TestDb) {
    let test_db = TestDb::new().await;
    let mut settings = Settings::with_database(test_db.url.as_str());
    settings.secret_key = Some("service-tests-secret-key-of-32-bytes-or-more".into());
    settings.score_sweep_interval_secs = 0;
    settings.db_connect_retries = 0;
    let db = app::connect(&settings, true).await.expect("database");
    let core = app::core(&settings, db).await.expect("core");
    (core, test_db)
}

pub async fn person(core: &Core, email: &str, role: Role) -> Actor {
    let user = insert_user(
        core.db(),
        Email::parse(email.into()).unwrap(),
        FullName::parse(email.into()).unwrap(),
        role,
        NO_PASSWORD.into(),
    )
    .await
    .expect("user");
    Actor::from_user(&user, None)
}

/// A lead `by` creates (a rep's own lead is assigned to them), scored
/// `score` as if the engine had.
pub async fn lead(core: &Core, by: &Actor, last_name: &str, score: Option<i32>) -> lead::Model {
    let new = RawNewLead {
        first_name: "Test".into(),
        last_name: last_name.into(),
        ..Default::default()
    }
    .parse()
    .expect("valid lead");
    let created = leads::create(core, by, new, allow_duplicates())
        .await
        .expect("lead");
    let mut row = created.into_active_model();
    row.score = Set(score);
    row.update(core.db()).await.expect("score set")
}

pub async fn assign(core: &Core, manager: &Actor, lead: &lead::Model, to: &Actor) {
    assignments::assign(core, manager, lead.id, to.user_id, None)
        .await
        .expect("assigned");
}

pub fn allow_duplicates() -> leads::Creation {
    leads::Creation {
        allow_duplicate: true,
        ..Default::default()
    }
}
