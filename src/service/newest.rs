//! The newest rows of each of many leads, in one statement: a window
//! function ranks each lead's rows and the outer query keeps the first `n`.
//! What lists of leads use to show a few notes, activities or scores of
//! every lead on a page without one query per lead.
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr, WindowStatement},
    ConnectionTrait, EntityTrait, FromQueryResult, Iterable, Order, StatementBuilder,
};

use crate::error::AppResult;

/// The first `n` rows of each partition of `E` (by `partition`, in `order`)
/// among the rows `filter` selects.
pub async fn newest_per<E, C>(
    conn: &C,
    partition: E::Column,
    order: &[E::Column],
    filter: SimpleExpr,
    n: u64,
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
    C: ConnectionTrait,
{
    let rank = Alias::new("rank_in_partition");
    let mut window = WindowStatement::partition_by(partition);
    for column in order {
        window.order_by(*column, Order::Desc);
    }
    let ranked = Query::select()
        .columns(E::Column::iter())
        .expr_window_as(Func::cust(Alias::new("ROW_NUMBER")), window, rank.clone())
        .from(E::default())
        .and_where(filter)
        .take();
    let outer = Query::select()
        .expr(Expr::cust("*"))
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(n as i64))
        .take();
    let statement = StatementBuilder::build(&outer, &conn.get_database_backend());
    Ok(E::Model::find_by_statement(statement).all(conn).await?)
}
