//! Where training's CPU work runs: a thread of its own at a lower
//! scheduling priority (nice 10, on Linux), so that while a model trains
//! requests are scheduled first and their latency holds. Threads the work
//! starts (the fit's) inherit the priority; the thread ends with the work,
//! so nothing else ever runs lowered. And once a training is over, the
//! memory it freed is handed back to the system (glibc keeps freed pages
//! for reuse; a 100k-lead training left the server 600 MB larger for good).
use tokio::sync::oneshot;

use crate::error::{AppError, AppResult};

/// The nice value training threads run at.
const NICE: i32 = 10;

/// Runs `work` on a new low-priority thread and waits for its result.
pub async fn low<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("training".into())
        .spawn(move || {
            lower_this_thread();
            let _ = tx.send(work());
        })
        .map_err(|e| AppError::internal(format!("starting a training thread: {e}")))?;
    rx.await
        .map_err(|_| AppError::internal("a training thread panicked"))
}

#[cfg(target_os = "linux")]
fn lower_this_thread() {
    // SAFETY: gettid and setpriority take and return plain integers; a
    // refusal (a sandbox forbidding it) only leaves the priority as it was.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICE);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {}

/// Returns freed heap memory to the system (glibc's allocator keeps it).
pub fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the heap.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Threads a fit may use: half the machine's, so requests keep the rest.
pub fn fit_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}
