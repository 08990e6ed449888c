//! Lead imports over GraphQL: the file arrives by `POST /imports`; here a
//! client previews a mapping, starts the import, watches it, reads its
//! errors and cancels it.
use async_graphql::{Context, InputObject, Object, Result, Subscription, ID};
use futures_util::{stream, Stream};

use super::{
    context::ContextExt,
    paging,
    types::{
        lead_import::{AttributeType, DedupeKey, OnMatch},
        LeadImport, LeadImportPreviewRow, LeadImportUpload,
    },
    users::parse_id,
};
use crate::{
    auth::Actor,
    core::Core,
    error::AppError,
    events::{Delivery, Event, Missed, Subscriber},
    service::imports::{self, upload, ColumnRequest, ImportRequest},
};

/// A value of a column and what it becomes.
#[derive(InputObject)]
pub struct ImportValueInput {
    /// Matched trimmed and ignoring case.
    pub from: String,
    pub to: String,
}

/// What one column of the file means.
#[derive(InputObject)]
pub struct ImportColumnInput {
    /// The header as the file has it (case and spaces are forgiven).
    pub column: String,
    /// A lead field as `createLead` names it (`firstName`, `status`...), or
    /// `attributes.<name>` for a custom field; none: the column is ignored.
    pub field: Option<String>,
    /// For an attribute: TEXT unless given.
    pub attribute_type: Option<AttributeType>,
    /// Values translated before validation (a `Converted` column's `1` to `WON`).
    #[graphql(default)]
    pub values: Vec<ImportValueInput>,
    /// What every other non-blank value becomes (`OTHER` for sources
    /// the value map does not name, say).
    pub otherwise: Option<String>,
}

/// A value for a field that a row leaves blank or no column fills.
#[derive(InputObject)]
pub struct ImportDefaultInput {
    pub field: String,
    pub value: String,
}

/// How rows find the leads they mean.
#[derive(InputObject)]
pub struct ImportDedupeInput {
    pub by: DedupeKey,
    #[graphql(default_with = "OnMatch::Skip")]
    pub on_match: OnMatch,
}

#[derive(InputObject)]
pub struct CreateLeadImportInput {
    /// What `POST /imports` answered with.
    pub upload_id: ID,
    pub mapping: Vec<ImportColumnInput>,
    #[graphql(default)]
    pub defaults: Vec<ImportDefaultInput>,
    /// None: every row creates a lead (a live lead's email is a CONFLICT,
    /// as with createLead).
    pub dedupe: Option<ImportDedupeInput>,
    /// Validate and count without writing.
    #[graphql(default)]
    pub dry_run: bool,
    /// Who the created leads are assigned to (a sales rep's own import:
    /// the rep).
    pub default_assignee_id: Option<ID>,
}

fn columns(mapping: Vec<ImportColumnInput>) -> Vec<ColumnRequest> {
    mapping
        .into_iter()
        .map(|c| ColumnRequest {
            column: c.column,
            field: c.field,
            attribute_type: c.attribute_type.map(Into::into),
            values: c.values.into_iter().map(|v| (v.from, v.to)).collect(),
            otherwise: c.otherwise,
        })
        .collect()
}

fn defaults(defaults: Vec<ImportDefaultInput>) -> Vec<(String, String)> {
    defaults.into_iter().map(|d| (d.field, d.value)).collect()
}

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// A file you uploaded.
    async fn lead_import_upload(&self, ctx: &Context<'_>, id: ID) -> Result<LeadImportUpload> {
        let id = parse_id("id", &id)?;
        Ok(LeadImportUpload(
            upload::get(ctx.core(), ctx.actor()?, id).await?,
        ))
    }

    /// An import you started (admins: anyone's).
    async fn lead_import(&self, ctx: &Context<'_>, id: ID) -> Result<LeadImport> {
        let id = parse_id("id", &id)?;
        Ok(LeadImport::new(
            imports::get(ctx.core(), ctx.actor()?, id).await?,
        ))
    }

    /// Your imports, newest first (admins: everyone's); `first` is 1 to 100.
    #[graphql(complexity = "paging::cost(Some(first), None, child_complexity)")]
    async fn lead_imports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<LeadImport>> {
        let first = paging::size("first", Some(first))?.unwrap_or(20);
        let jobs = imports::control::list(ctx.core(), ctx.actor()?, first).await?;
        Ok(jobs.into_iter().map(LeadImport::new).collect())
    }

    /// The first 20 rows of an upload read through a mapping: the value
    /// each mapped cell gives and why a row would fail.
    async fn preview_lead_import(
        &self,
        ctx: &Context<'_>,
        upload_id: ID,
        mapping: Vec<ImportColumnInput>,
        #[graphql(default)] defaults: Vec<ImportDefaultInput>,
    ) -> Result<Vec<LeadImportPreviewRow>> {
        let upload_id = parse_id("uploadId", &upload_id)?;
        let rows = imports::preview(
            ctx.core(),
            ctx.actor()?,
            upload_id,
            columns(mapping),
            self::defaults(defaults),
        )
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports an uploaded file in the background, a few hundred rows per
    /// transaction; watch it with `leadImportProgress` or `leadImport`. A
    /// bad row never stops it: it is counted in `failed` and explained in
    /// `errors`. An import whose server stops is taken over by another.
    async fn create_lead_import(
        &self,
        ctx: &Context<'_>,
        input: CreateLeadImportInput,
    ) -> Result<LeadImport> {
        let request = ImportRequest {
            upload_id: parse_id("input.uploadId", &input.upload_id)?,
            columns: columns(input.mapping),
            defaults: defaults(input.defaults),
            dedupe_key: input.dedupe.as_ref().map(|d| d.by.into()),
            on_match: input.dedupe.as_ref().map(|d| d.on_match.into()),
            dry_run: input.dry_run,
            default_assignee: input
                .default_assignee_id
                .as_ref()
                .map(|id| parse_id("input.defaultAssigneeId", id))
                .transpose()?,
            chunk_rows: None,
        };
        let job = imports::start(ctx.core(), ctx.actor()?, request).await?;
        Ok(LeadImport::new(job))
    }

    /// Stops an import after the chunk it is writing; what was imported
    /// stays.
    async fn cancel_lead_import(&self, ctx: &Context<'_>, id: ID) -> Result<LeadImport> {
        let id = parse_id("id", &id)?;
        Ok(LeadImport::new(
            imports::cancel(ctx.core(), ctx.actor()?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct ImportSubscription;

#[Subscription]
impl ImportSubscription {
    /// The import now, then after every chunk, until it ends (the last
    /// item has its final status).
    async fn lead_import_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<impl Stream<Item = Result<LeadImport>>> {
        let id = parse_id("id", &id)?;
        let actor = ctx.actor()?.clone();
        let core = ctx.core().clone();
        // Listen before reading, so no chunk falls between.
        let events = core.bus().subscribe_job(id);
        let first = imports::get(&core, &actor, id).await?;
        events.ready();
        let watch = Watch {
            core,
            actor,
            id,
            events,
            pending: Some(first),
            last: None,
            ended: false,
        };
        Ok(stream::unfold(watch, |mut watch| async move {
            let item = watch.next().await?;
            Some((item, watch))
        }))
    }
}

struct Watch {
    core: Core,
    actor: Actor,
    id: uuid::Uuid,
    events: Subscriber,
    pending: Option<crate::entity::lead_import::Model>,
    last: Option<(i64, crate::entity::lead_import::ImportStatus)>,
    ended: bool,
}

impl Watch {
    async fn next(&mut self) -> Option<Result<LeadImport>> {
        if self.ended {
            return None;
        }
        loop {
            let job = match self.pending.take() {
                Some(job) => job,
                None => {
                    match self.events.recv().await {
                        Ok(Delivery {
                            event: Event::JobProgressed { .. },
                            ..
                        })
                        | Err(Missed::Gap) => {}
                        Ok(_) => continue,
                        Err(Missed::Lagged) => {
                            self.ended = true;
                            return Some(Err(AppError::SlowConsumer.into()));
                        }
                        Err(Missed::Closed) => return None,
                    }
                    match imports::get(&self.core, &self.actor, self.id).await {
                        Ok(job) => job,
                        Err(err) => {
                            self.ended = true;
                            return Some(Err(err.into()));
                        }
                    }
                }
            };
            let seen = (job.processed_rows, job.status);
            if self.last == Some(seen) {
                continue;
            }
            self.last = Some(seen);
            self.ended = job.status.is_finished();
            return Some(Ok(LeadImport::new(job)));
        }
    }
}
