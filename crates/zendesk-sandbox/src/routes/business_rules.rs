//! What the lists of Zendesk's business rules (macros and views) share: who may see which
//! (shared, their groups', their own), the `active`, `access` and `group_id` filters, and the
//! `sort_by` / `sort_order` they take.

use super::http::Params;
use super::paging::Sort;
use crate::business_rules::restriction;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Bind, Filter};

/// `sort_by` + `sort_order` of macro and view lists (by position unless asked).
pub fn list_sort(params: &Params) -> Result<Sort, ApiError> {
    let by = params.get("sort_by").unwrap_or("position");
    let column = match by {
        "position" => "position",
        "created_at" => "created_at",
        "updated_at" => "updated_at",
        "id" => "id",
        other => {
            return Err(ApiError::bad_param(format!(
                "sort_by `{other}` is not supported by the sandbox: use position, created_at, updated_at or id"
            )));
        }
    };
    // Zendesk's defaults: ascending by position, newest first by a time.
    let descending = match params.get("sort_order") {
        None => column == "created_at" || column == "updated_at",
        Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_param(format!(
                "sort_order must be asc or desc, got `{other}`"
            )));
        }
    };
    Ok(Sort {
        order: format!("{column}{}", if descending { ":desc" } else { "" }),
        column,
        descending,
    })
}

/// The filters shared by macro and view lists: what the caller may see, `active`, `access`
/// (personal, shared, account) and `group_id`.
pub async fn list_filters(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Vec<Filter>, ApiError> {
    let id = caller.id;
    let groups = state
        .store()
        .read(move |reader| restriction::groups_of(reader, id))
        .await?;
    let mut filters: Vec<Filter> = restriction::visible_filter(caller, &groups)
        .into_iter()
        .collect();
    match params.get("active") {
        None => {}
        Some("true") => filters.push(Filter::Eq("active", Bind::Int(1))),
        Some("false") => filters.push(Filter::Eq("active", Bind::Int(0))),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "active must be true or false, got `{other}`"
            )));
        }
    }
    match params.get("access") {
        None | Some("account") => {}
        Some("personal") => filters.push(Filter::NotNull("restricted_user_id")),
        Some("shared") => filters.push(Filter::Null("restricted_user_id")),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "access must be personal, shared or account, got `{other}`"
            )));
        }
    }
    if let Some(group) = params.get("group_id") {
        let group: i64 = group.trim().parse().map_err(|_| {
            ApiError::bad_value(format!("group_id must be a numeric id, got `{group}`"))
        })?;
        filters.push(Filter::Like("restricted_group_ids", format!("%,{group},%")));
    }
    Ok(filters)
}
