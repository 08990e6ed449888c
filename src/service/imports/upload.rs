//! Staging an uploaded file: it is read once, as a stream, into rows of
//! cells in the database, where any server can run (or resume) the import
//! that reads it, and where a preview reads its first rows.
use std::path::Path;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::file;
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{lead_import_row, lead_import_upload},
    error::{AppError, AppResult},
    service::audit,
};

/// Rows per insert statement (three values each).
const ROWS_PER_INSERT: usize = 1_000;
/// Columns a file may have, at most.
pub const MAX_FILE_COLUMNS: usize = 1_000;

/// What the reading thread hands over: the header, then batches of rows.
enum Read {
    Header(Vec<String>),
    Rows(Vec<(i64, Vec<String>)>),
}

/// Stages the CSV file at `path` (already within the size limit) as an
/// upload `actor` may import from.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, bytes = size))]
pub async fn stage(
    core: &Core,
    actor: &Actor,
    path: &Path,
    file_name: Option<String>,
    size: u64,
) -> AppResult<lead_import_upload::Model> {
    actor.may(Scope::LeadsWrite)?;
    let owned = path.to_path_buf();
    let format = tokio::task::spawn_blocking(move || file::sniff(&owned))
        .await
        .map_err(|e| AppError::internal(format!("sniffing an upload: {e}")))?
        .map_err(|e| AppError::internal(format!("reading an upload: {e}")))?;
    let (tx, mut rx) = mpsc::channel::<Result<Read, String>>(2);
    let owned = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || read_rows(&owned, format, &tx));

    let header = match rx.recv().await {
        Some(Ok(Read::Header(header))) => header,
        Some(Err(message)) => return Err(AppError::bad_input("file", message)),
        _ => return Err(AppError::bad_input("file", "the file is empty")),
    };
    let id = Uuid::now_v7();
    let delimiter = match format.delimiter {
        b'\t' => "\\t".to_string(),
        other => (other as char).to_string(),
    };
    let upload = lead_import_upload::ActiveModel {
        id: Set(id),
        uploaded_by: Set(Some(actor.user_id).filter(|id| !id.is_nil())),
        file_name: Set(file_name.map(|n| n.chars().take(255).collect())),
        encoding: Set(format.encoding.name().to_string()),
        delimiter: Set(delimiter),
        columns: Set(json!(header)),
        // Not importable until every row is in.
        total_rows: Set(-1),
        size_bytes: Set(size as i64),
        created_at: Set(Utc::now()),
    }
    .insert(core.db())
    .await?;
    let staged = async {
        let mut total = 0i64;
        while let Some(read) = rx.recv().await {
            let rows = match read {
                Ok(Read::Rows(rows)) => rows,
                Ok(Read::Header(_)) => continue,
                Err(message) => return Err(AppError::bad_input("file", message)),
            };
            total += rows.len() as i64;
            lead_import_row::Entity::insert_many(rows.into_iter().map(|(number, cells)| {
                lead_import_row::ActiveModel {
                    upload_id: Set(id),
                    row_number: Set(number),
                    cells: Set(json!(cells)),
                }
            }))
            .exec_without_returning(core.db())
            .await?;
        }
        Ok(total)
    }
    .await;
    let _ = reader.await;
    let total = match staged {
        Ok(total) => total,
        Err(err) => {
            // Its rows go with it.
            let _ = lead_import_upload::Entity::delete_by_id(id)
                .exec(core.db())
                .await;
            return Err(err);
        }
    };
    let mut done: lead_import_upload::ActiveModel = upload.into();
    done.total_rows = Set(total);
    let upload = done.update(core.db()).await?;
    audit::acted(
        core.db(),
        actor,
        "leads.import_uploaded",
        ("lead_import_upload", id),
        json!({ "rows": total, "bytes": size, "encoding": upload.encoding }),
    )
    .await?;
    Ok(upload)
}

/// Reads the file on a blocking thread, a batch at a time, numbering rows
/// as a spreadsheet does (the header is row 1).
fn read_rows(path: &Path, format: file::Format, tx: &mpsc::Sender<Result<Read, String>>) {
    let mut reader = match file::records(path, format) {
        Ok(reader) => reader,
        Err(err) => {
            let _ = tx.blocking_send(Err(format!("the file cannot be read: {err}")));
            return;
        }
    };
    let mut record = csv::StringRecord::new();
    let mut number = 1i64;
    let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let _ = tx.blocking_send(Err(format!("row {number} cannot be read: {err}")));
                return;
            }
        }
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if number == 1 {
            if cells.len() > MAX_FILE_COLUMNS {
                let _ = tx.blocking_send(Err(format!(
                    "the file has {} columns; at most {MAX_FILE_COLUMNS} are read",
                    cells.len()
                )));
                return;
            }
            if tx.blocking_send(Ok(Read::Header(header(cells)))).is_err() {
                return;
            }
        } else if !cells.iter().all(|c| c.is_empty()) {
            // Blank lines (often at the end) are no rows.
            batch.push((number, cells));
            if batch.len() == ROWS_PER_INSERT {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_INSERT));
                if tx.blocking_send(Ok(Read::Rows(full))).is_err() {
                    return;
                }
            }
        }
        number += 1;
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Ok(Read::Rows(batch)));
    }
}

/// Header cells made usable as names: trimmed, none blank, none twice.
fn header(cells: Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(cells.len());
    for (i, cell) in cells.into_iter().enumerate() {
        let mut name = cell.trim().to_string();
        if name.is_empty() {
            name = format!("Column {}", i + 1);
        }
        let base = name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// An upload, for the person who uploaded it (or an admin).
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<lead_import_upload::Model> {
    actor.may(Scope::LeadsWrite)?;
    let upload = lead_import_upload::Entity::find_by_id(id)
        .one(core.reads())
        .await?
        .ok_or(AppError::NotFound("upload"))?;
    if !is_theirs(actor, upload.uploaded_by) {
        return Err(AppError::NotFound("upload"));
    }
    Ok(upload)
}

/// An upload or import is its owner's, and every admin's (as a person).
pub fn is_theirs(actor: &Actor, owner: Option<Uuid>) -> bool {
    owner == Some(actor.user_id) || (actor.key.is_none() && actor.is_admin())
}

/// The header of an upload.
pub fn columns(upload: &lead_import_upload::Model) -> Vec<String> {
    match &upload.columns {
        Value::Array(cells) => cells
            .iter()
            .map(|c| c.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Rows of an upload after `after` (a row number), in order, at most `limit`.
pub async fn rows<C: sea_orm::ConnectionTrait>(
    conn: &C,
    upload_id: Uuid,
    after: i64,
    limit: u64,
) -> AppResult<Vec<(i64, Vec<String>)>> {
    let rows = lead_import_row::Entity::find()
        .filter(lead_import_row::Column::UploadId.eq(upload_id))
        .filter(lead_import_row::Column::RowNumber.gt(after))
        .order_by_asc(lead_import_row::Column::RowNumber)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let cells = match row.cells {
                Value::Array(cells) => cells
                    .into_iter()
                    .map(|c| match c {
                        Value::String(s) => s,
                        _ => String::new(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            (row.row_number, cells)
        })
        .collect())
}
