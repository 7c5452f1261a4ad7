//! Wire tests for the `zendesk` client against wiremock: every test server carries a
//! catch-all mock that fails the test on any request nobody expected. Bodies are shaped like
//! Zendesk's (written for these tests).

mod common;
mod config;
mod errors;
mod handlers;
mod help_center;
mod incremental;
mod jobs;
mod paging;
mod recordings;
mod requests;
mod retries;
mod rules;
mod webhooks;
