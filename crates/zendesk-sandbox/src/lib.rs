//! A local server that speaks the Zendesk Support API (paths, envelopes, pagination, errors,
//! jobs, search, rate limits) on SQLite.
