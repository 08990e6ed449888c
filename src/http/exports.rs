//! `GET /exports/leads.csv`: every lead the caller may see, streamed as
//! CSV a page at a time, outside the request timeout. The filter is the
//! one `leads` takes, as JSON in the query string; `columns` picks the
//! columns. Authenticated like `/graphql`.
use axum::{
    body::{Body, Bytes},
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{principal, reply, AppState};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    error::{AppError, AppResult},
    graphql::leads::filter::LeadFilterInput,
    service::leads::{
        export::{self, Column},
        LeadFilter,
    },
};

/// Leads per page read: large enough that a page's statement is cheap per
/// row, small enough that a page's cells stay a few megabytes.
const PAGE: u64 = 2_000;
/// Pages written ahead of a slow client, at most.
const AHEAD: usize = 2;

#[derive(Deserialize)]
pub struct ExportQuery {
    /// A `LeadFilter` as JSON.
    filter: Option<String>,
    /// Comma-separated column names.
    columns: Option<String>,
}

pub async fn leads_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let ready = async {
        let export = prepare(&state, &headers, query).await?;
        // The first page is read before the answer starts: whatever fails
        // there is a clear refusal, never a header row and a cut stream.
        let first = export::page(
            &state.core,
            &export.actor,
            &export.filter,
            &export.columns,
            None,
            PAGE,
        )
        .await?;
        Ok::<_, AppError>((export, first))
    };
    match ready.await {
        Ok((export, first)) => stream(state.core.clone(), export, first),
        Err(err) => reply::app_error(err, false),
    }
}

struct Export {
    actor: Actor,
    filter: LeadFilter,
    filter_json: Value,
    columns: Vec<Column>,
}

async fn prepare(
    state: &AppState,
    headers: &HeaderMap,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Export> {
    state.database_usable()?;
    let actor = principal::required(&state.core, headers).await?;
    actor.may(Scope::LeadsRead)?;
    let Query(query) = query.map_err(|e| AppError::bad_input("query", e.body_text()))?;
    let (filter, filter_json) = parse_filter(query.filter.as_deref())?;
    let columns = Column::chosen_by(&actor, query.columns.as_deref())?;
    Ok(Export {
        actor,
        filter,
        filter_json,
        columns,
    })
}

/// The `filter` parameter, read exactly as GraphQL reads `leads(filter:)`.
fn parse_filter(raw: Option<&str>) -> AppResult<(LeadFilter, Value)> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok((LeadFilter::default(), Value::Null));
    };
    let json: Value = serde_json::from_str(raw)
        .map_err(|e| AppError::bad_input("filter", format!("filter is not JSON: {e}")))?;
    Ok((LeadFilterInput::from_json(json.clone())?, json))
}

/// The response: the header row and the first page, then each page as it
/// is read. A failure part-way ends the body with an error, so the client
/// sees a broken transfer, never a short file that looks whole.
fn stream(core: Core, export: Export, first: export::Page) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(AHEAD);
    tokio::spawn(async move {
        let Export {
            actor,
            filter,
            filter_json,
            columns,
        } = export;
        let mut rows = 0u64;
        let complete = write_all(&core, &actor, &filter, &columns, first, &tx, &mut rows).await;
        if let Err(err) = &complete {
            tracing::warn!(error = %err, rows, "a lead export stopped part-way");
            let _ = tx
                .send(Err(std::io::Error::other("the export stopped part-way")))
                .await;
        }
        if let Err(err) = export::audit_export(
            &core,
            &actor,
            &filter_json,
            &columns,
            rows,
            complete.is_ok(),
        )
        .await
        {
            tracing::error!(error = ?err, rows, "auditing a lead export failed");
        }
    });
    csv_download(rx, "attachment; filename=\"leads.csv\"")
}

/// A CSV file streamed from `rx` as a download named by `disposition`.
pub(super) fn csv_download(
    mut rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    disposition: &'static str,
) -> Response {
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Why writing stopped before the end.
#[derive(Debug)]
pub(super) enum Stopped {
    /// The client went away.
    Gone,
    Failed(AppError),
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Gone => f.write_str("the client went away"),
            Stopped::Failed(err) => write!(f, "{err:?}"),
        }
    }
}

async fn write_all(
    core: &Core,
    actor: &Actor,
    filter: &LeadFilter,
    columns: &[Column],
    first: export::Page,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    rows: &mut u64,
) -> Result<(), Stopped> {
    let header: Vec<String> = columns.iter().map(Column::header).collect();
    send(tx, csv_bytes(std::iter::once(header))?).await?;
    let mut page = first;
    loop {
        *rows += page.rows.len() as u64;
        let next = page.next;
        if !page.rows.is_empty() {
            send(tx, csv_bytes(page.rows)?).await?;
        }
        let Some(after) = next else {
            return Ok(());
        };
        page = export::page(core, actor, filter, columns, Some(after), PAGE)
            .await
            .map_err(Stopped::Failed)?;
    }
}

async fn send(
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    bytes: Bytes,
) -> Result<(), Stopped> {
    tx.send(Ok(bytes)).await.map_err(|_| Stopped::Gone)
}

/// Rows as CSV (RFC 4180 quoting by the `csv` crate).
pub(super) fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> Result<Bytes, Stopped> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(&row)
            .map_err(|e| Stopped::Failed(AppError::internal(format!("writing CSV: {e}"))))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| Stopped::Failed(AppError::internal(format!("writing CSV: {e}"))))
}
