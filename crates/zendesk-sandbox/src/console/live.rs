//! `/console/live?watch=tickets|emails|webhooks|activity`: the change feed that keeps a page's
//! lists current, as server-sent events. Each connected page polls the API as its user, at
//! most once a second, and hears `change` when the answer differs from the last one: the
//! newest updated tickets and the count, the outbox's first page, the request log's newest
//! entry, the webhooks' invocations. Polling the API (rather than hooking the write path)
//! sees the writes of every sandbox process on a shared database, and only what the user may
//! see. `ready` says the feed is watching; `signed-out` that the session has ended. Every event
//! carries data: a browser does not dispatch an event without.

use std::collections::hash_map::DefaultHasher;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::api::{Api, encode};
use super::session::Viewer;
use super::{Console, param, query_pairs};

/// How often a feed asks the API.
const POLL: Duration = Duration::from_secs(1);

/// What a feed watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Watch {
    Tickets,
    Emails,
    Webhooks,
    Activity,
}

impl Watch {
    fn parse(text: &str) -> Option<Watch> {
        match text {
            "tickets" => Some(Watch::Tickets),
            "emails" => Some(Watch::Emails),
            "webhooks" => Some(Watch::Webhooks),
            "activity" => Some(Watch::Activity),
            _ => None,
        }
    }
}

pub async fn feed(State(console): State<Console>, viewer: Viewer, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let Some(watch) = param(&pairs, "watch").and_then(Watch::parse) else {
        return (
            StatusCode::BAD_REQUEST,
            "watch must be tickets, emails, webhooks or activity",
        )
            .into_response();
    };
    let api = viewer.api;
    // The feed ends when the server stops, so it never holds a shutdown up.
    let stopping = console.state.inner.stopping.subscribe();
    // (api, last signature, first poll, the stop signal)
    let start = Some((api, None::<u64>, true, stopping));
    let events = stream::unfold(start, move |state| async move {
        let (api, last, first, mut stopping) = state?;
        if *stopping.borrow() {
            return None;
        }
        if !first {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stopping.wait_for(|stop| *stop) => return None,
            }
        }
        let Some(signature) = signature(&api, watch).await else {
            let event = Event::default().event("signed-out").data("ended");
            return Some((Ok::<_, Infallible>(event), None));
        };
        let event = match last {
            None => Event::default().event("ready").data("watching"),
            Some(seen) if seen != signature => Event::default().event("change").data("changed"),
            // Unchanged: a comment line, which no page listens to.
            Some(_) => Event::default().comment(""),
        };
        Some((Ok(event), Some((api, Some(signature), false, stopping))))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A hash of what the page shows; `None` when the session has ended.
async fn signature(api: &Api, watch: Watch) -> Option<u64> {
    let paths: Vec<String> = match watch {
        Watch::Tickets => {
            vec!["/api/v2/tickets?sort_by=updated_at&sort_order=desc&per_page=10".into()]
        }
        Watch::Emails => vec![super::outbox::EMAILS.into()],
        Watch::Activity => vec!["/api/v2/sandbox/requests.json?per_page=1".into()],
        Watch::Webhooks => {
            let answer = api.get("/api/v2/webhooks?page%5Bsize%5D=100").await;
            let mut paths = vec!["/api/v2/webhooks?page%5Bsize%5D=100".to_string()];
            if let Ok(answer) = answer {
                for webhook in answer["webhooks"].as_array().into_iter().flatten() {
                    if let Some(id) = webhook["id"].as_str() {
                        paths.push(format!(
                            "/api/v2/webhooks/{}/invocations?page%5Bsize%5D=10",
                            encode(id)
                        ));
                    }
                }
            }
            paths
        }
    };
    let mut hasher = DefaultHasher::new();
    for path in paths {
        let answer = api.call(axum::http::Method::GET, &path, None).await;
        if answer.status == StatusCode::UNAUTHORIZED {
            return None;
        }
        answer.status.as_u16().hash(&mut hasher);
        answer.body.to_string().hash(&mut hasher);
    }
    Some(hasher.finish())
}
