//! Argon2id password hashing, off the async runtime.
//!
//! Hashes run on a fixed pool of one thread per core, each with one reusable
//! 19 MiB argon2 work area, rather than on tokio's blocking pool: there every
//! short-lived thread kept its own 19 MiB chunks in its allocator arena (16
//! concurrent logins left the process at 349 MB). Now hashing holds exactly
//! cores x 19 MiB once warm, and a login flood queues instead of starving the
//! runtime.
use std::{
    cell::RefCell,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{mpsc, Arc, Mutex, OnceLock},
};

use argon2::{
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
    Algorithm, Argon2, Block, Params, Version,
};
use rand::RngCore;
use tracing::Span;

use crate::error::{AppError, AppResult};

/// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
fn params() -> AppResult<Params> {
    Params::new(19_456, 2, 1, None).map_err(AppError::internal)
}

thread_local! {
    /// The argon2 work area of this hashing thread, kept between calls.
    static WORK_AREA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn compute(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> AppResult<()> {
    let blocks = argon.params().block_count();
    WORK_AREA.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(AppError::internal)
    })
}

fn hash_blocking(password: &str) -> AppResult<String> {
    let params = params()?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; 32];
    compute(
        &Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
        password.as_bytes(),
        &salt,
        &mut out,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(AppError::internal)?,
        salt: Some(Salt::new(&salt).map_err(AppError::internal)?),
        hash: Some(Output::new(&out).map_err(AppError::internal)?),
    };
    Ok(phc.to_string())
}

/// Recomputes with the algorithm, version and cost stored in the hash, so
/// hashes made under older parameters still verify.
fn verify_blocking(password: &str, stored: &str) -> AppResult<bool> {
    let unusable = |err: &dyn std::fmt::Display| {
        AppError::internal(format!("stored password hash unusable: {err}"))
    };
    let phc = PasswordHash::new(stored).map_err(|e| unusable(&e))?;
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return Err(unusable(&"no salt or hash"));
    };
    let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(|e| unusable(&e))?;
    let version = phc
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| unusable(&e))?
        .unwrap_or_default();
    let params = Params::try_from(&phc).map_err(|e| unusable(&e))?;
    let mut out = vec![0u8; expected.len()];
    compute(
        &Argon2::new(algorithm, version, params),
        password.as_bytes(),
        salt,
        &mut out,
    )?;
    // Output's equality is constant-time.
    Ok(Output::new(&out).map_err(|e| unusable(&e))? == *expected)
}

type Job = Box<dyn FnOnce() + Send>;

fn workers() -> &'static mpsc::Sender<Job> {
    static WORKERS: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panicking job must not take the worker with it.
                        Ok(job) => drop(catch_unwind(AssertUnwindSafe(job))),
                        Err(_) => return,
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "cannot start a password-hashing thread");
            }
        }
        sender
    })
}

/// Runs `work` on a hashing thread, keeping the caller's tracing span.
async fn on_worker<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let span = Span::current();
    let job: Job = Box::new(move || {
        let _ = done.send(span.in_scope(work));
    });
    workers()
        .send(job)
        .map_err(|_| AppError::internal("password hashing pool stopped"))?;
    result
        .await
        .map_err(|_| AppError::internal("password hashing job failed"))?
}

/// Hashes off the async runtime (argon2 takes tens of milliseconds of CPU).
pub async fn hash(password: String) -> AppResult<String> {
    on_worker(move || hash_blocking(&password)).await
}

/// True when `password` matches `hash`. A malformed stored hash is an internal
/// error, not a wrong password.
pub async fn verify(password: String, hash: String) -> AppResult<bool> {
    on_worker(move || verify_blocking(&password, &hash)).await
}

/// A real hash of a password nobody has, verified against when the email is
/// unknown so that an unknown email costs the same time as a wrong password.
pub async fn decoy_hash() -> AppResult<String> {
    hash("decoy password that matches no account".into()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), hash.clone())
            .await
            .unwrap());
        assert!(!verify("correct horse battery!".into(), hash).await.unwrap());
    }
}
