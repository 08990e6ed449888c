//! Case-insensitive "contains" searches, with the user's `%`, `_` and `\`
//! matched literally.
use sea_orm::sea_query::LikeExpr;

/// `LIKE '%term%'` on text already lower-cased in the database.
pub fn contains(term: &str) -> LikeExpr {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}
