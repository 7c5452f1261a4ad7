//! Why a search was refused, and how each refusal is answered in Zendesk's shapes.

use serde_json::json;

use crate::error::ApiError;
use crate::store::StoreError;

/// Why a search was refused.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query does not parse or uses a keyword wrongly; the text says what was expected.
    #[error("{0}")]
    InvalidQuery(String),
    /// `page * per_page` over 1,000.
    #[error("Requested response size was greater than Search Response Limits")]
    ResponseTooLarge,
    /// A request parameter (not the query) is malformed; the text names it.
    #[error("{0}")]
    InvalidParameter(String),
    /// `/search/export` without `filter[type]`.
    #[error(
        "filter[type] is required for a search export: one of ticket, user, organization, group"
    )]
    MissingFilterType,
    /// An export cursor older than [`CURSOR_LIFETIME`].
    #[error(
        "page[after] has expired: export cursors are valid for one hour; start the export again without page[after]"
    )]
    ExpiredCursor,
    /// A cursor that is not one this search returned.
    #[error("{0}")]
    BadCursor(String),
    #[error("database: {0}")]
    Database(#[from] StoreError),
}

impl From<SearchError> for ApiError {
    fn from(error: SearchError) -> Self {
        let bad = |error: &'static str, description: String| ApiError::BadRequest {
            error,
            description,
            max_count: None,
        };
        match error {
            SearchError::InvalidQuery(text) => {
                bad("invalid", format!("Invalid search query: {text}"))
            }
            SearchError::ResponseTooLarge => ApiError::Unprocessable(json!({
                "error": "invalid",
                "description": SearchError::ResponseTooLarge.to_string(),
            })),
            SearchError::InvalidParameter(text) => bad("InvalidValue", text),
            e @ SearchError::MissingFilterType => bad("InvalidSearchFilter", e.to_string()),
            e @ (SearchError::ExpiredCursor | SearchError::BadCursor(_)) => {
                bad("InvalidPaginationParameter", e.to_string())
            }
            SearchError::Database(e) => ApiError::from(e),
        }
    }
}
