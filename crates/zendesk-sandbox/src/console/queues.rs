//! `/console/` (`?view=ID`, `?q=QUERY`, `&page=N`): the views the agent sees, with their counts,
//! beside a ticket list: every ticket the agent may see, newest first (`GET /api/v2/tickets`),
//! a view's tickets (`/views/{id}/tickets`) or a search in Zendesk's language
//! (`/search?query=type:ticket ...`). The lists follow the `tickets` change feed.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

use super::api::{Api, encode};
use super::html::{self, People, Section, escape, status_badge, time};
use super::session::Viewer;
use super::{Console, page_number, param, query_pairs};

/// Tickets a list page shows.
const PER_PAGE: u32 = 25;

/// Which list the page shows.
enum List {
    All,
    View(i64),
    Search(String),
}

impl List {
    /// The page's own query string for `page`, keeping the list.
    fn href(&self, page: u32) -> String {
        match self {
            List::All => format!("/console/?page={page}"),
            List::View(id) => format!("/console/?view={id}&page={page}"),
            List::Search(q) => format!("/console/?q={}&page={page}", encode(q)),
        }
    }
}

pub async fn page(State(_): State<Console>, viewer: Viewer, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let page = page_number(param(&pairs, "page").unwrap_or("1"));
    let list = if let Some(q) = param(&pairs, "q") {
        List::Search(q.to_string())
    } else if let Some(id) = param(&pairs, "view").and_then(|v| v.parse().ok()) {
        List::View(id)
    } else {
        List::All
    };
    let api = &viewer.api;
    let (views, all_count, listed) = tokio::join!(
        views_with_counts(api),
        api.get("/api/v2/tickets?per_page=1"),
        list_page(api, &list, page),
    );
    let all_count = all_count.ok().and_then(|p| p["count"].as_i64());
    let sidebar = sidebar(&list, &views, all_count);
    let (status, main) = match listed {
        Ok((tickets, count)) => {
            let mut people = People::default();
            let ids = tickets.iter().flat_map(|t| {
                [t["requester_id"].as_i64(), t["assignee_id"].as_i64()]
                    .into_iter()
                    .flatten()
            });
            people.fetch(api, ids.collect::<Vec<_>>()).await;
            (
                StatusCode::OK,
                ticket_table(&list, &views, &tickets, count, page, &people),
            )
        }
        Err(refused) => (
            StatusCode::OK,
            format!(
                "<section id=\"list\" data-region><h1>{}</h1>\
                 <p class=\"flash error\" role=\"alert\">{}</p></section>",
                escape(&heading(&list, &views)),
                escape(&refused.message)
            ),
        ),
    };
    let body = format!("<div class=\"queues\">{sidebar}\n{main}</div>");
    html::page_with_status(
        &viewer,
        status,
        Some(Section::Queues),
        "Queues",
        Some("tickets"),
        &body,
    )
}

/// The views the agent sees (`/views/active`), each with its count (`/views/count_many`, 20
/// ids a call as Zendesk takes them).
async fn views_with_counts(api: &Api) -> Vec<(Value, Option<i64>)> {
    let Ok(page) = api.get("/api/v2/views/active?per_page=100").await else {
        return Vec::new();
    };
    let views: Vec<Value> = page["views"].as_array().cloned().unwrap_or_default();
    let mut counts = std::collections::HashMap::new();
    let ids: Vec<i64> = views.iter().filter_map(|v| v["id"].as_i64()).collect();
    for chunk in ids.chunks(20) {
        let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
        if let Ok(answer) = api
            .get(&format!("/api/v2/views/count_many?ids={}", ids.join(",")))
            .await
        {
            for count in answer["view_counts"].as_array().into_iter().flatten() {
                if let (Some(id), Some(value)) =
                    (count["view_id"].as_i64(), count["value"].as_i64())
                {
                    counts.insert(id, value);
                }
            }
        }
    }
    views
        .into_iter()
        .map(|view| {
            let count = view["id"].as_i64().and_then(|id| counts.get(&id).copied());
            (view, count)
        })
        .collect()
}

/// One page of the list: its tickets and how many there are in all.
async fn list_page(
    api: &Api,
    list: &List,
    page: u32,
) -> Result<(Vec<Value>, i64), super::api::Refused> {
    let paging = format!("per_page={PER_PAGE}&page={page}");
    let (path, key) = match list {
        List::All => (
            format!("/api/v2/tickets?sort_by=created_at&sort_order=desc&{paging}"),
            "tickets",
        ),
        List::View(id) => (format!("/api/v2/views/{id}/tickets?{paging}"), "tickets"),
        List::Search(q) => {
            let query = if q.contains("type:") {
                q.clone()
            } else {
                format!("type:ticket {q}")
            };
            (
                format!(
                    "/api/v2/search?query={}&sort_by=created_at&sort_order=desc&{paging}",
                    encode(&query)
                ),
                "results",
            )
        }
    };
    let answer = api.get(&path).await?;
    let tickets: Vec<Value> = answer[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| {
            t["result_type"]
                .as_str()
                .is_none_or(|kind| kind == "ticket")
        })
        .cloned()
        .collect();
    let count = answer["count"].as_i64().unwrap_or(tickets.len() as i64);
    Ok((tickets, count))
}

fn heading(list: &List, views: &[(Value, Option<i64>)]) -> String {
    match list {
        List::All => "All tickets".to_string(),
        List::View(id) => views
            .iter()
            .find(|(v, _)| v["id"].as_i64() == Some(*id))
            .and_then(|(v, _)| v["title"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("View {id}")),
        List::Search(q) => format!("Search: {q}"),
    }
}

fn sidebar(list: &List, views: &[(Value, Option<i64>)], all_count: Option<i64>) -> String {
    let count = |n: Option<i64>| {
        n.map(|n| format!("<span class=\"count\">{n}</span>"))
            .unwrap_or_default()
    };
    let current = |yes: bool| {
        if yes { " aria-current=\"page\"" } else { "" }
    };
    let mut items = format!(
        "<li><a href=\"/console/\"{}>All tickets{}</a></li>",
        current(matches!(list, List::All)),
        count(all_count)
    );
    for (view, n) in views {
        let Some(id) = view["id"].as_i64() else {
            continue;
        };
        items.push_str(&format!(
            "<li><a href=\"/console/?view={id}\"{}>{}{}</a></li>",
            current(matches!(list, List::View(v) if *v == id)),
            escape(view["title"].as_str().unwrap_or("")),
            count(*n)
        ));
    }
    let q = match list {
        List::Search(q) => q.as_str(),
        _ => "",
    };
    format!(
        "<aside class=\"views\">\n<form method=\"get\" action=\"/console/\" class=\"search\" \
         role=\"search\"><input type=\"search\" name=\"q\" value=\"{}\" \
         placeholder=\"status:open priority:high\" aria-label=\"Search tickets\">\
         <button type=\"submit\">Search</button></form>\n\
         <nav id=\"views\" data-region aria-label=\"Views\"><h2>Views</h2><ul>{items}</ul></nav>\n\
         </aside>",
        escape(q)
    )
}

fn ticket_table(
    list: &List,
    views: &[(Value, Option<i64>)],
    tickets: &[Value],
    count: i64,
    page: u32,
    people: &People,
) -> String {
    let mut rows = String::new();
    for ticket in tickets {
        let id = ticket["id"].as_i64().unwrap_or_default();
        rows.push_str(&format!(
            "<tr data-ticket-id=\"{id}\"><td class=\"id\">#{id}</td>\
             <td class=\"subject\"><a href=\"/console/tickets/{id}\">{}</a></td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(ticket["subject"].as_str().unwrap_or("(no subject)")),
            escape(&people.name(&ticket["requester_id"])),
            escape(&people.name(&ticket["assignee_id"])),
            status_badge(&ticket["status"]),
            escape(ticket["priority"].as_str().unwrap_or("-")),
            time(&ticket["updated_at"]),
        ));
    }
    if rows.is_empty() {
        rows = "<tr><td colspan=\"7\" class=\"empty\">No tickets here.</td></tr>".to_string();
    }
    let pages = ((count.max(0) as u32).div_ceil(PER_PAGE)).max(1);
    let mut paging = format!(
        "<span>Page {page} of {pages} · {count} ticket{}</span>",
        if count == 1 { "" } else { "s" }
    );
    if page > 1 {
        paging.push_str(&format!(
            " <a rel=\"prev\" href=\"{}\">Previous</a>",
            escape(&list.href(page - 1))
        ));
    }
    if page < pages {
        paging.push_str(&format!(
            " <a rel=\"next\" href=\"{}\">Next</a>",
            escape(&list.href(page + 1))
        ));
    }
    format!(
        "<section id=\"list\" data-region class=\"list\">\n<h1>{}</h1>\n\
         <table class=\"tickets\"><thead><tr><th>ID</th><th>Subject</th><th>Requester</th>\
         <th>Assignee</th><th>Status</th><th>Priority</th><th>Updated</th></tr></thead>\n\
         <tbody>\n{rows}</tbody></table>\n<p class=\"paging\">{paging}</p>\n</section>",
        escape(&heading(list, views))
    )
}
