//! `POST /imports`: a CSV file (`text/csv`, or one file in a
//! `multipart/form-data` form, as a browser sends it), streamed to a
//! temporary file under its own size limit (`IMPORT_MAX_BYTES`: a larger
//! declared length is refused before a byte is read), its uploader's quota
//! and an idle timeout, outside the request timeout, then staged for
//! imports. `GET
//! /imports/{id}/errors.csv`: an import's errors, a row each. Both are
//! authenticated like `/graphql`; the rest of an import is GraphQL's.
use axum::{
    body::Bytes,
    extract::{FromRequest, Multipart, Path, Query, Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::{io::AsyncWriteExt, sync::mpsc};
use uuid::Uuid;

use super::{
    exports::{csv_bytes, csv_download, Stopped},
    principal, reply, AppState,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    error::{AppError, AppResult},
    service::{
        imports::{self, control::errors_after, expiry, upload},
        leads::export::neutralise,
    },
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadQuery {
    /// The file's name, for people (a form's file part names itself).
    file_name: Option<String>,
}

pub async fn upload(
    State(state): State<AppState>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Response {
    match receive(&state, query, request).await {
        Ok(body) => (StatusCode::CREATED, Json(body)).into_response(),
        Err(err) => reply::app_error(err, false),
    }
}

async fn receive(
    state: &AppState,
    query: UploadQuery,
    request: Request,
) -> AppResult<serde_json::Value> {
    state.database_usable()?;
    let actor = principal::required(&state.core, request.headers()).await?;
    actor.may(Scope::LeadsWrite)?;
    let limits = state.core.uploads();
    let limit = limits.max_bytes;
    let declared = declared_length(request.headers());
    if declared.is_some_and(|length| length > limit.saturating_add(FORM_OVERHEAD)) {
        return Err(AppError::PayloadTooLarge {
            max_bytes: limit as usize,
        });
    }
    expiry::check_quota(&state.core, &actor, declared.unwrap_or(0).min(limit)).await?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let spool = tempfile::NamedTempFile::new()
        .map_err(|e| AppError::internal(format!("creating a temporary file: {e}")))?;
    let (size, file_name) = if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| AppError::bad_input("file", e.body_text()))?;
        let field = loop {
            let next = tokio::time::timeout(limits.idle, form.next_field())
                .await
                .map_err(|_| AppError::Stalled {
                    secs: limits.idle.as_secs(),
                })?;
            match next.map_err(|e| AppError::bad_input("file", e.body_text()))? {
                Some(field) if field.file_name().is_some() || field.name() == Some("file") => {
                    break field
                }
                Some(_) => continue,
                None => return Err(AppError::bad_input("file", "the form has no file")),
            }
        };
        let name = field.file_name().map(str::to_string);
        let stream = field.map(|chunk| chunk.map_err(|e| e.body_text()));
        (spool_to(&spool, stream, limit, limits.idle).await?, name)
    } else if content_type.starts_with("text/csv")
        || content_type.starts_with("text/plain")
        || content_type.starts_with("application/octet-stream")
        || content_type.starts_with("text/tab-separated-values")
    {
        let stream = request
            .into_body()
            .into_data_stream()
            .map(|chunk| chunk.map_err(|e| e.to_string()));
        (
            spool_to(&spool, stream, limit, limits.idle).await?,
            query.file_name,
        )
    } else {
        return Err(AppError::UnsupportedMediaType(
            "send the file as text/csv, or as multipart/form-data with a file part".into(),
        ));
    };
    if size == 0 {
        return Err(AppError::bad_input("file", "the file is empty"));
    }
    if declared.is_none() {
        expiry::check_quota(&state.core, &actor, size).await?;
    }
    let staged = upload::stage(&state.core, &actor, spool.path(), file_name, size).await?;
    let columns = upload::columns(&staged);
    let suggested: Vec<_> = imports::suggest(&columns)
        .into_iter()
        .map(|(column, field)| json!({ "column": column, "field": field }))
        .collect();
    Ok(json!({
        "id": staged.id,
        "fileName": staged.file_name,
        "encoding": staged.encoding,
        "delimiter": staged.delimiter,
        "columns": columns,
        "totalRows": staged.total_rows,
        "sizeBytes": staged.size_bytes,
        "suggestedMapping": suggested,
    }))
}

/// What a multipart form adds to its file: boundaries and part headers.
const FORM_OVERHEAD: u64 = 64 * 1024;

/// The body's length as the client declared it, if it did.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Writes the body to the temporary file, refusing it past `limit` bytes
/// or when nothing arrives for `idle`.
async fn spool_to<S>(
    file: &tempfile::NamedTempFile,
    mut body: S,
    limit: u64,
    idle: std::time::Duration,
) -> AppResult<u64>
where
    S: Stream<Item = Result<Bytes, String>> + Unpin,
{
    let handle = file
        .reopen()
        .map_err(|e| AppError::internal(format!("opening a temporary file: {e}")))?;
    let mut out =
        tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(handle));
    let mut size = 0u64;
    loop {
        let Ok(next) = tokio::time::timeout(idle, body.next()).await else {
            return Err(AppError::Stalled {
                secs: idle.as_secs(),
            });
        };
        let Some(chunk) = next else {
            break;
        };
        let chunk =
            chunk.map_err(|e| AppError::bad_input("file", format!("the upload broke off: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(AppError::PayloadTooLarge {
                max_bytes: limit as usize,
            });
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| AppError::internal(format!("spooling an upload: {e}")))?;
    }
    out.flush()
        .await
        .map_err(|e| AppError::internal(format!("spooling an upload: {e}")))?;
    Ok(size)
}

/// Error rows read per page.
const ERRORS_PAGE: u64 = 2_000;

pub async fn errors_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ready = async {
        state.database_usable()?;
        let actor = principal::required(&state.core, &headers).await?;
        let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("import"))?;
        imports::get(&state.core, &actor, id).await?;
        Ok::<(Actor, Uuid), AppError>((actor, id))
    };
    match ready.await {
        Ok((_, id)) => stream_errors(state.core.clone(), id),
        Err(err) => reply::app_error(err, false),
    }
}

fn stream_errors(core: Core, id: Uuid) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(async move {
        let written = async {
            let header = ["row", "column", "field", "code", "message"].map(str::to_string);
            send(&tx, csv_bytes(std::iter::once(header.to_vec()))?).await?;
            let mut after = None;
            loop {
                let page = errors_after(&core, id, after, ERRORS_PAGE)
                    .await
                    .map_err(Stopped::Failed)?;
                let Some(last) = page.last() else {
                    return Ok::<(), Stopped>(());
                };
                after = Some((last.row_number, last.id));
                let full = page.len() as u64 == ERRORS_PAGE;
                // Column names and messages echo the uploaded file: a cell
                // a spreadsheet would run is neutralised as exports do.
                let rows = page.into_iter().map(|e| {
                    [
                        e.row_number.to_string(),
                        e.column_name.unwrap_or_default(),
                        e.field.unwrap_or_default(),
                        e.code,
                        e.message,
                    ]
                    .into_iter()
                    .map(neutralise)
                    .collect::<Vec<_>>()
                });
                send(&tx, csv_bytes(rows)?).await?;
                if !full {
                    return Ok(());
                }
            }
        }
        .await;
        if let Err(stopped) = written {
            tracing::warn!(import = %id, error = %stopped, "an import's error file stopped part-way");
            let _ = tx
                .send(Err(std::io::Error::other(
                    "the error file stopped part-way",
                )))
                .await;
        }
    });
    csv_download(rx, "attachment; filename=\"import-errors.csv\"")
}

async fn send(
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    bytes: Bytes,
) -> Result<(), Stopped> {
    tx.send(Ok(bytes)).await.map_err(|_| Stopped::Gone)
}
