//! Tells the tests which database lane they run in, at compile time, so a
//! backend-specific test is marked `#[ignore]` on the other lane (and the
//! runner reports it as ignored) instead of passing without running.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(lane_postgres)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=lane_postgres");
    }
}
