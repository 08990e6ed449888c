//! Staging an uploaded file: it is read once, as a stream, into rows of
//! cells in the database, where any server can run (or resume) the import
//! that reads it, and where a preview reads its first rows.
use std::path::Path;

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
    let file_name = match file_name {
        Some(name) => printable_name(&name)?,
        None => None,
    };
    let owned = path.to_path_buf();
    let format = tokio::task::spawn_blocking(move || file::sniff(&owned))
        .await
        .map_err(|e| AppError::internal(format!("sniffing an upload: {e}")))?
        .map_err(|e| match e {
            file::NotCsv::Refused(why) => AppError::bad_input("file", why),
            file::NotCsv::Io(e) => AppError::internal(format!("reading an upload: {e}")),
        })?;
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
        file_name: Set(file_name),
        encoding: Set(format.encoding.name().to_string()),
        delimiter: Set(delimiter),
        columns: Set(json!(header)),
        // Not importable until every row is in.
        total_rows: Set(-1),
        size_bytes: Set(size as i64),
        created_at: Set(core.clock().now()),
        purged_at: Set(None),
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
    let mut names: Vec<String> = Vec::new();
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
        if let Some(refusal) = control_character(number, &names, &cells) {
            let _ = tx.blocking_send(Err(refusal));
            return;
        }
        if number == 1 {
            if cells.len() > MAX_FILE_COLUMNS {
                let _ = tx.blocking_send(Err(format!(
                    "the file has {} columns; at most {MAX_FILE_COLUMNS} are read",
                    cells.len()
                )));
                return;
            }
            names = header(cells);
            if tx.blocking_send(Ok(Read::Header(names.clone()))).is_err() {
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

/// Where a row holds a control character other than tab and line breaks,
/// in words naming the row and the column: the file is refused, never
/// stored with it (PostgreSQL cannot hold a NUL in text, and no field
/// may carry one).
fn control_character(row: i64, names: &[String], cells: &[String]) -> Option<String> {
    cells.iter().enumerate().find_map(|(i, cell)| {
        let c = cell
            .chars()
            .find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))?;
        let column = match names.get(i) {
            Some(name) if row > 1 => format!("column {} ({name:?})", i + 1),
            _ => format!("column {}", i + 1),
        };
        let header = if row == 1 { " (the header)" } else { "" };
        Some(format!(
            "row {row}{header}, {column}: the control character U+{:04X} is not allowed in a \
             cell (tab and line breaks are); remove it and upload the file again",
            c as u32
        ))
    })
}

/// A file name as people read it: its last path part (a browser may send
/// a whole path), trimmed, at most 255 characters; none when blank. A
/// control character, or one that turns text around or hides in it
/// (`invoice\u{202E}vsc.exe` shows as `invoiceexe.csv`), is refused.
pub fn printable_name(name: &str) -> AppResult<Option<String>> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    if let Some(c) = name.chars().find(|&c| hidden(c)) {
        return Err(AppError::bad_input(
            "file_name",
            format!(
                "the file name holds the unprintable character U+{:04X}: name the file with printable text",
                c as u32
            ),
        ));
    }
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    Ok((!base.is_empty()).then(|| base.chars().take(255).collect()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_named_by_row_and_column() {
        let names = vec!["Name".to_string(), "Email".to_string()];
        let cells = vec!["Ada".to_string(), "a\u{0}@x.io".to_string()];
        let why = control_character(7, &names, &cells).unwrap();
        assert!(why.starts_with("row 7, column 2 (\"Email\")"), "{why}");
        assert!(why.contains("U+0000"), "{why}");
        let header = control_character(1, &[], &["Na\u{1}me".to_string()]).unwrap();
        assert!(
            header.starts_with("row 1 (the header), column 1"),
            "{header}"
        );
        let fine = vec!["tab\there".to_string(), "two\r\nlines".to_string()];
        assert!(control_character(3, &names, &fine).is_none());
    }

    #[test]
    fn file_names_are_printable_text_or_refused() {
        let name = |n: &str| printable_name(n).unwrap();
        assert_eq!(name("leads.csv").as_deref(), Some("leads.csv"));
        assert_eq!(
            name("C:\\Users\\pat\\leads.csv").as_deref(),
            Some("leads.csv")
        );
        assert_eq!(name("  "), None);
        assert_eq!(name(&"x".repeat(300)).unwrap().len(), 255);
        for hidden in ["leads\u{0}.csv", "invoice\u{202E}vsc.exe", "a\u{7}b"] {
            let err = printable_name(hidden).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
            assert!(err.message().starts_with("fileName:"), "{}", err.message());
        }
    }
}
