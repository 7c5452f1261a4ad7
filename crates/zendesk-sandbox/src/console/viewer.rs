//! Who a console page is for: the signed-in agent or admin, the API as them, and their forms'
//! CSRF token. `session.rs` makes one from a request's cookie; `html.rs` renders the page
//! header from it.

use serde_json::Value;

use super::api::Api;

/// A signed-in agent or admin: the API as them, who they are, and their forms' CSRF token.
pub struct Viewer {
    pub api: Api,
    /// `GET /api/v2/users/me` as they are now.
    pub me: Value,
    pub csrf: String,
}

impl Viewer {
    pub fn name(&self) -> &str {
        self.me["name"].as_str().unwrap_or("")
    }
}
