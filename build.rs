//! Tells the tests, at compile time, which database lane they run in and
//! whether a real SMTP server can be started (SMTP_SINK names the Python
//! that has aiosmtpd), so a test that needs what is missing is marked
//! `#[ignore]` (and the runner reports it as ignored) instead of passing
//! without running.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(lane_postgres)");
    println!("cargo::rustc-check-cfg=cfg(smtp_sink)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=SMTP_SINK");
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=lane_postgres");
    }
    if std::env::var("SMTP_SINK").is_ok_and(|python| !python.is_empty()) {
        println!("cargo::rustc-cfg=smtp_sink");
    }
}
