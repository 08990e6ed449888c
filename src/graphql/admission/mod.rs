//! Admission: what every GraphQL document goes through before it may run,
//! over POST, GET and websocket `subscribe` alike.
//!
//! 1. [`scan`]: a flat lexical pass with limits on size, tokens and nesting,
//!    so no parser ever recurses deeper than [`ScanLimits::max_nesting`].
//! 2. On a gate thread (a stack we size, panics caught): parsing,
//!    [`document`] checks that bound what validation will walk (fragment
//!    expansion, aliases, root mutations, control characters), then
//!    async-graphql's own validation with execution short-circuited.
//! 3. The caller waits for the gate under a deadline, so a slow document
//!    answers TIMEOUT on time instead of holding a runtime thread.
//!
//! The parsed document travels on with the request, so it is parsed once.
mod arguments;
pub mod document;
pub mod scan;

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{mpsc, Arc, Mutex},
    time::Duration,
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute},
    parser::{parse_query, types::ExecutableDocument},
    Request, Response, ServerError, Variables,
};
use tokio::sync::oneshot;

pub use document::DocumentLimits;
pub use scan::ScanLimits;

use super::AppSchema;

/// How long a document may take to pass the gate.
pub const GATE_DEADLINE: Duration = Duration::from_secs(5);
/// Documents waiting for a gate thread before new ones are turned away.
const QUEUE: usize = 1_024;
/// The gate's stack: far more than any document within the limits needs.
const STACK_BYTES: usize = 16 * 1024 * 1024;

/// Why a document may not run. Each becomes a GraphQL error with a code.
#[derive(Debug)]
pub enum Refusal {
    /// Over a limit, or a control character in an argument (400, BAD_USER_INPUT).
    Limit {
        field: Option<String>,
        message: String,
    },
    /// The document does not parse or validate; async-graphql's errors.
    Invalid(Vec<ServerError>),
    /// Too many documents are waiting for the gate (503, TOO_MANY_REQUESTS).
    Busy,
    /// The gate took longer than its deadline (504, TIMEOUT).
    Timeout,
    /// A bug: the gate panicked or stopped (500, INTERNAL).
    Internal(String),
}

/// The request data that tells [`ValidateOnly`] to stop after validation.
struct ValidationRun;

/// An extension that ends a request right after validation when it carries
/// [`ValidationRun`]: how the gate runs async-graphql's validation rules
/// without running a resolver.
pub struct ValidateOnly;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ValidateOnlyExtension)
    }
}

struct ValidateOnlyExtension;

#[async_trait::async_trait]
impl Extension for ValidateOnlyExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if ctx.data_opt::<ValidationRun>().is_some() {
            return Response::new(async_graphql::Value::Null);
        }
        next.run(ctx, operation_name).await
    }
}

struct Job {
    query: String,
    operation_name: Option<String>,
    variables: Variables,
    reply: oneshot::Sender<Result<ExecutableDocument, Refusal>>,
}

/// The gate threads of one server. Dropping the last handle stops them.
#[derive(Clone)]
pub struct Gate {
    jobs: mpsc::SyncSender<Job>,
    scan: ScanLimits,
}

impl Gate {
    pub fn start(schema: AppSchema, threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            let schema = schema.clone();
            std::thread::Builder::new()
                .name(format!("graphql-gate-{n}"))
                .stack_size(STACK_BYTES)
                .spawn(move || work(&schema, &queue))?;
        }
        Ok(Self {
            jobs,
            scan: ScanLimits::default(),
        })
    }

    /// Admits `request` (scanned, parsed, checked and validated) or says why not.
    pub async fn admit(&self, request: &Request) -> Result<ExecutableDocument, Refusal> {
        scan::scan(&request.query, self.scan).map_err(|refusal| Refusal::Limit {
            field: None,
            message: refusal.message(),
        })?;
        let (reply, answer) = oneshot::channel();
        let job = Job {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
            reply,
        };
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => return Err(Refusal::Busy),
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(Refusal::Internal("the admission gate stopped".into()))
            }
        }
        match tokio::time::timeout(GATE_DEADLINE, answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(Refusal::Internal(
                "the admission gate dropped a document".into(),
            )),
            Err(_) => Err(Refusal::Timeout),
        }
    }
}

fn work(schema: &AppSchema, queue: &Mutex<mpsc::Receiver<Job>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "admission gate thread cannot start");
            return;
        }
    };
    loop {
        let job = {
            let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // The caller gave up (deadline, disconnect): nothing to do.
        if job.reply.is_closed() {
            continue;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            examine(
                schema,
                &runtime,
                &job.query,
                job.operation_name.as_deref(),
                &job.variables,
            )
        }))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Refusal::Internal(format!(
                "the admission gate panicked: {what}"
            )))
        });
        let _ = job.reply.send(outcome);
    }
}

fn examine(
    schema: &AppSchema,
    runtime: &tokio::runtime::Runtime,
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Result<ExecutableDocument, Refusal> {
    let doc = parse_query(query).map_err(|err| Refusal::Invalid(vec![err.into()]))?;
    document::check(&doc, variables, DocumentLimits::default()).map_err(|refusal| {
        Refusal::Limit {
            field: refusal.field,
            message: refusal.message,
        }
    })?;
    let mut validation = Request::new(query)
        .variables(variables.clone())
        .data(ValidationRun);
    if let Some(name) = operation_name {
        validation = validation.operation_name(name);
    }
    validation.set_parsed_query(doc.clone());
    let response = runtime.block_on(schema.execute(validation));
    if response.errors.is_empty() {
        Ok(doc)
    } else {
        Err(Refusal::Invalid(response.errors))
    }
}
