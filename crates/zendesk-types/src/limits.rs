//! Zendesk's numeric limits, defined once: the client checks them before sending, the tools
//! refuse input past them, and the sandbox enforces them as Zendesk does.

/// Items in one bulk request (`create_many`, `update_many`, `destroy_many`, `show_many`).
pub const MAX_BULK_ITEMS: usize = 100;
/// Records in one page of a list (`per_page`, `page[size]`).
pub const MAX_PAGE_SIZE: usize = 100;
/// Records in one page of `/search/export` (`page[size]`).
pub const MAX_EXPORT_PAGE_SIZE: usize = 1000;
/// Results reachable through `/search` offset paging (`page * per_page`).
pub const MAX_SEARCH_RESULTS: usize = 1000;
/// Records reachable through offset pagination of a list; deeper needs cursor pagination.
pub const MAX_OFFSET_DEPTH: usize = 10_000;
/// Source tickets in one merge.
pub const MAX_MERGE_SOURCES: usize = 5;
/// Background jobs queued or running at once for one account.
pub const MAX_ACTIVE_JOBS: usize = 30;
/// How long an export cursor stays valid, in seconds.
pub const EXPORT_CURSOR_LIFETIME_SECS: i64 = 3600;
