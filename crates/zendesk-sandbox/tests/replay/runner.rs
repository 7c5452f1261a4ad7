//! Replaying one zenpy test (its cassettes, tearDown last) against a fresh sandbox: a seeded
//! help desk plus the records the recording assumed already existed, the admin as caller (the
//! recorded credentials are ignored), each request rewritten onto the sandbox's IDs, each answer
//! compared with Zendesk's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use serde_json::{Value, json};
use tower::ServiceExt;
use zendesk_sandbox::{AppState, Config, Seed, app};

use super::ids::{IdMap, Kind, Unmapped};
use super::recording::{Interaction, Recording};
use super::shape::{NullEvidence, compare_bodies};

/// The host the replayed requests name (the recorded hosts are replaced by it).
const HOST: &str = "sandbox.test";
const ADMIN_EMAIL: &str = "replay-admin@example.com";
const ADMIN_TOKEN: &str = "replay-admin-token";

/// The endpoints the sandbox serves (the rest of Zendesk is out of its scope).
const RELEVANT: &[&str] = &[
    "tickets",
    "users",
    "organizations",
    "organization_fields",
    "groups",
    "job_statuses",
    "search",
    "deleted_tickets",
    "ticket_fields",
    "group_memberships",
    "ticket_audits",
];

/// The skip reason for endpoints outside [`RELEVANT`] (the prefix the summary groups by).
pub const OUT_OF_SCOPE: &str = "endpoint out of scope";

/// Records of each listed kind the sandbox holds before a replay, beyond the demo seed, so that
/// a recording that pages through ten records of a busy account finds ten pages here too.
const BACKGROUND_RECORDS: usize = 12;

#[derive(Debug, Clone)]
pub enum Verdict {
    Matched,
    Mismatched(BTreeSet<String>),
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: String,
    pub index: usize,
    pub method: String,
    pub path: String,
    pub verdict: Verdict,
}

struct Reply {
    status: u16,
    has_location: bool,
    content_type: Option<String>,
    body: Option<Value>,
    text: String,
}

struct Sandbox {
    router: axum::Router,
    state: AppState,
    auth: String,
}

impl Sandbox {
    async fn open() -> Result<Sandbox, String> {
        let mut config = Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(ADMIN_TOKEN)
        };
        config.admin_email = ADMIN_EMAIL.to_string();
        config.seed = Some(Seed::Demo);
        let state = AppState::open(&config)
            .await
            .map_err(|e| format!("the sandbox does not open: {e}"))?;
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{ADMIN_EMAIL}/token:{ADMIN_TOKEN}"))
        );
        Ok(Sandbox {
            router: app(state.clone()),
            state,
            auth,
        })
    }

    async fn send(
        &self,
        method: &str,
        target: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|e| format!("method: {e}"))?;
        let mut request = Request::builder()
            .method(method)
            .uri(target)
            .header("host", HOST)
            .header("authorization", &self.auth);
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => {
                request = request.header("content-length", "0");
                request.body(Body::empty())
            }
        }
        .map_err(|e| format!("request `{target}` does not build: {e}"))?;
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| format!("the router failed: {e}"))?;
        let status = response.status().as_u16();
        let has_location = response.headers().contains_key("location");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| format!("the body does not read: {e}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if text.trim().is_empty() {
            None
        } else {
            Some(serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone())))
        };
        Ok(Reply {
            status,
            has_location,
            content_type,
            body,
            text,
        })
    }

    /// Creates a record through the API and returns its id.
    async fn create(&self, path: &str, body: Value, key: &str) -> Result<i64, String> {
        let reply = self.send("POST", path, Some(&body)).await?;
        reply
            .body
            .as_ref()
            .and_then(|b| b[key]["id"].as_i64())
            .ok_or_else(|| {
                format!(
                    "setup `POST {path}` failed: {} {}",
                    reply.status, reply.text
                )
            })
    }
}

/// The path's first segment under `/api/v2/`, without `.json`.
fn resource(path_and_query: &str) -> &str {
    let path = path_and_query.split('?').next().unwrap_or_default();
    path.trim_start_matches("/api/v2/")
        .split('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".json")
}

/// The kinds a recording lists, with how many records the sandbox needs to page through them
/// as the recorded account did (a search export of 1,000-record pages needs more than 1,000).
fn listed_kinds(recordings: &[&Recording]) -> BTreeMap<&'static str, usize> {
    let mut kinds = BTreeMap::new();
    for interaction in recordings.iter().flat_map(|r| &r.interactions) {
        let (path, query) = interaction
            .path_and_query
            .split_once('?')
            .unwrap_or((&interaction.path_and_query, ""));
        let path = path.trim_end_matches(".json");
        for kind in [
            "tickets",
            "users",
            "organizations",
            "groups",
            "group_memberships",
        ] {
            if interaction.method == "GET" && path == format!("/api/v2/{kind}") {
                kinds.entry(kind).or_insert(BACKGROUND_RECORDS);
            }
        }
        if path.starts_with("/api/v2/search") {
            let page_size = form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "page[size]")
                .and_then(|(_, size)| size.parse::<usize>().ok())
                .unwrap_or(0);
            let needed = kinds.entry("users").or_insert(BACKGROUND_RECORDS);
            *needed = (*needed).max(page_size + 1);
        }
    }
    kinds
}

/// Gives the sandbox what the recorded account already had: the admin in an organization, and
/// enough records of each listed kind.
async fn prepare(sandbox: &Sandbox, recordings: &[&Recording]) -> Result<(), String> {
    let me = sandbox.send("GET", "/api/v2/users/me.json", None).await?;
    let admin = me
        .body
        .as_ref()
        .and_then(|b| b["user"]["id"].as_i64())
        .ok_or_else(|| format!("setup `GET /users/me` failed: {}", me.text))?;
    let home = sandbox
        .create(
            "/api/v2/organizations.json",
            json!({"organization": {"name": "Replay home organization"}}),
            "organization",
        )
        .await?;
    let put = sandbox
        .send(
            "PUT",
            &format!("/api/v2/users/{admin}.json"),
            Some(&json!({"user": {"organization_id": home}})),
        )
        .await?;
    if put.status != 200 {
        return Err(format!(
            "setup: the admin does not join an organization: {}",
            put.text
        ));
    }
    for (kind, count) in listed_kinds(recordings) {
        if kind == "users" && count > BACKGROUND_RECORDS {
            create_many_users(sandbox, count).await?;
            continue;
        }
        for n in 0..count {
            let (body, key) = match kind {
                "tickets" => (
                    json!({"ticket": {"subject": format!("Background {n}"), "comment": {"body": "Already there"}}}),
                    "ticket",
                ),
                "users" => (
                    json!({"user": {"name": format!("Background {n}"), "email": format!("background{n}@replay.example")}}),
                    "user",
                ),
                "organizations" => (
                    json!({"organization": {"name": format!("Background {n}")}}),
                    "organization",
                ),
                "group_memberships" => {
                    // Each background membership is a new agent in a new group.
                    let user = sandbox
                        .create(
                            "/api/v2/users.json",
                            json!({"user": {"name": format!("Member {n}"), "role": "agent",
                                "email": format!("member{n}@replay.example")}}),
                            "user",
                        )
                        .await?;
                    let group = sandbox
                        .create(
                            "/api/v2/groups.json",
                            json!({"group": {"name": format!("Team {n}")}}),
                            "group",
                        )
                        .await?;
                    (
                        json!({"group_membership": {"user_id": user, "group_id": group}}),
                        "group_membership",
                    )
                }
                _ => (
                    json!({"group": {"name": format!("Background {n}")}}),
                    "group",
                ),
            };
            sandbox
                .create(&format!("/api/v2/{kind}.json"), body, key)
                .await?;
        }
    }
    Ok(())
}

/// Many background users at once, through `create_many` jobs of 100.
async fn create_many_users(sandbox: &Sandbox, count: usize) -> Result<(), String> {
    for start in (0..count).step_by(100) {
        let users: Vec<Value> = (start..count.min(start + 100))
            .map(|n| json!({"name": format!("Background {n}"), "email": format!("background{n}@replay.example")}))
            .collect();
        let reply = sandbox
            .send(
                "POST",
                "/api/v2/users/create_many.json",
                Some(&json!({ "users": users })),
            )
            .await?;
        let job = reply
            .body
            .as_ref()
            .and_then(|b| b["job_status"]["id"].as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("setup `users/create_many` failed: {}", reply.text))?;
        let mut done = false;
        for _ in 0..600 {
            let poll = sandbox
                .send("GET", &format!("/api/v2/job_statuses/{job}.json"), None)
                .await?;
            if is_final(job_status_of(poll.body.as_ref())) {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !done {
            return Err(format!("setup: job {job} did not finish in 12 s"));
        }
    }
    Ok(())
}

/// Zendesk's links are absolute and point back at the host that answered: every `url` and
/// paging link the sandbox sends must name its own host.
fn check_urls(value: &Value, path: &str, diffs: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{path}.{key}");
                let is_link = matches!(
                    key.as_str(),
                    "url" | "next_page" | "previous_page" | "next" | "prev"
                );
                match v.as_str() {
                    Some(link) if is_link && !link.contains(&format!("://{HOST}/api/v2/")) => {
                        diffs.insert(format!(
                            "{here}: not an absolute link to the sandbox's host ({link})"
                        ));
                    }
                    _ => check_urls(v, &here, diffs),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                check_urls(item, &format!("{path}[]"), diffs);
            }
        }
        _ => {}
    }
}

/// A finished job's verdict beyond its shape: the same final status, as many results, and the
/// same outcome per item (created, updated, or which error), counted regardless of order. The
/// replayed requests are Zendesk's own, so the outcomes must agree even though the data differs.
fn compare_job_outcomes(recorded: &Value, actual: &Value) -> BTreeSet<String> {
    let mut diffs = BTreeSet::new();
    let (rec, act) = (&recorded["job_status"], &actual["job_status"]);
    if rec["status"] != act["status"] {
        diffs.insert(format!(
            "job_status.status: Zendesk ended {}, sandbox ended {}",
            rec["status"], act["status"]
        ));
    }
    if let (Some(r), Some(a)) = (rec["results"].as_array(), act["results"].as_array()) {
        let outcomes = |items: &[Value]| -> BTreeMap<String, usize> {
            let mut counts = BTreeMap::new();
            for item in items {
                let label = item["error"]
                    .as_str()
                    .or_else(|| item["status"].as_str())
                    .unwrap_or("done")
                    .to_string();
                *counts.entry(label).or_insert(0) += 1;
            }
            counts
        };
        let (r, a) = (outcomes(r), outcomes(a));
        if r != a {
            diffs.insert(format!(
                "job_status.results: Zendesk's outcomes {r:?}, sandbox's {a:?}"
            ));
        }
    }
    diffs
}

fn job_status_of(body: Option<&Value>) -> Option<&str> {
    body?.get("job_status")?.get("status")?.as_str()
}

fn is_final(status: Option<&str>) -> bool {
    matches!(status, Some("completed" | "failed" | "killed"))
}

/// Replays one zenpy test: its cassettes in order, tearDown last, against one fresh sandbox.
pub async fn replay_test(
    recordings: &[&Recording],
    nulls: &NullEvidence,
) -> Result<Vec<Outcome>, String> {
    let sandbox = Sandbox::open().await?;
    let result = replay_in(&sandbox, recordings, nulls).await;
    sandbox
        .state
        .close()
        .await
        .map_err(|e| format!("the sandbox does not close: {e}"))?;
    result
}

async fn replay_in(
    sandbox: &Sandbox,
    recordings: &[&Recording],
    nulls: &NullEvidence,
) -> Result<Vec<Outcome>, String> {
    prepare(sandbox, recordings).await?;
    let mut ids = IdMap::default();
    // Recorded job id -> the kind its create job makes (to map the results when it finishes).
    let mut create_jobs: HashMap<String, Kind> = HashMap::new();
    let mut outcomes = Vec::new();
    for recording in recordings {
        for (index, interaction) in recording.interactions.iter().enumerate() {
            let verdict =
                replay_one(sandbox, interaction, &mut ids, &mut create_jobs, nulls).await?;
            outcomes.push(Outcome {
                file: recording.name.clone(),
                index,
                method: interaction.method.clone(),
                path: interaction.path_and_query.clone(),
                verdict,
            });
        }
    }
    Ok(outcomes)
}

async fn replay_one(
    sandbox: &Sandbox,
    interaction: &Interaction,
    ids: &mut IdMap,
    create_jobs: &mut HashMap<String, Kind>,
    nulls: &NullEvidence,
) -> Result<Verdict, String> {
    let resource = resource(&interaction.path_and_query);
    if !RELEVANT.contains(&resource) {
        return Ok(Verdict::Skipped(format!(
            "endpoint out of scope: /api/v2/{resource}"
        )));
    }
    let keep_unknown = interaction.status == 404;
    let rewritten = ids
        .rewrite_target(&interaction.path_and_query, keep_unknown)
        .and_then(|target| {
            let body = match &interaction.request_body {
                Some(body) => Some(ids.rewrite_body(body, keep_unknown)?),
                None => None,
            };
            Ok((target, body))
        });
    let (target, body) = match rewritten {
        Ok(ok) => ok,
        Err(Unmapped::Record(kind)) => {
            return Ok(Verdict::Skipped(format!(
                "names a {kind:?} the recording never created (it existed in that account)"
            )));
        }
        Err(Unmapped::Cursor) => {
            return Ok(Verdict::Skipped(
                "follows a cursor past the sandbox's last page".to_string(),
            ));
        }
        Err(Unmapped::Job) => {
            return Ok(Verdict::Skipped(
                "polls a job the sandbox never started".to_string(),
            ));
        }
    };

    let recorded_job = job_status_of(interaction.response_body.as_ref());
    let mut reply = sandbox
        .send(&interaction.method, &target, body.as_ref())
        .await?;
    // Zendesk's job had finished by this poll; the sandbox's may not have yet: poll it to the end.
    if resource == "job_statuses" && is_final(recorded_job) {
        for _ in 0..600 {
            if reply.status != 200 || is_final(job_status_of(reply.body.as_ref())) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            reply = sandbox
                .send(&interaction.method, &target, body.as_ref())
                .await?;
        }
    }

    let mut diffs = BTreeSet::new();
    if reply.status != interaction.status {
        let excerpt: String = reply.text.chars().take(160).collect();
        diffs.insert(format!(
            "status: Zendesk sent {}, sandbox sent {} ({excerpt})",
            interaction.status, reply.status
        ));
    }
    // Zendesk also sends `Location` on some updates; the API promises it only for a 201.
    if interaction.status == 201 && interaction.has_location && !reply.has_location {
        diffs.insert("Location header: missing".to_string());
    }
    let json_type = |t: &Option<String>| {
        t.as_deref()
            .is_some_and(|t| t.starts_with("application/json"))
    };
    if interaction.response_body.is_some()
        && json_type(&interaction.content_type)
        && !json_type(&reply.content_type)
    {
        diffs.insert(format!(
            "Content-Type: Zendesk sent JSON, sandbox sent {:?}",
            reply.content_type
        ));
    }
    match (&interaction.response_body, &reply.body) {
        (Some(recorded), Some(actual)) => {
            if diffs.is_empty() {
                diffs.extend(compare_bodies(recorded, actual, nulls));
                check_urls(actual, "body", &mut diffs);
                if resource == "job_statuses" && is_final(recorded_job) {
                    diffs.extend(compare_job_outcomes(recorded, actual));
                }
            }
            learn(interaction, &target, recorded, actual, ids, create_jobs);
        }
        (Some(_), None) => {
            diffs.insert("body: Zendesk sent a body, sandbox sent none".to_string());
        }
        (None, Some(_)) if interaction.status == 204 => {
            diffs.insert("body: Zendesk sent none (204), sandbox sent one".to_string());
        }
        _ => {}
    }
    Ok(if diffs.is_empty() {
        Verdict::Matched
    } else {
        Verdict::Mismatched(diffs)
    })
}

/// What a pair of successful answers teaches about IDs.
fn learn(
    interaction: &Interaction,
    target: &str,
    recorded: &Value,
    actual: &Value,
    ids: &mut IdMap,
    create_jobs: &mut HashMap<String, Kind>,
) {
    if !(200..300).contains(&interaction.status) {
        return;
    }
    for key in [
        "ticket",
        "user",
        "organization",
        "organization_field",
        "group",
        "ticket_field",
        "group_membership",
    ] {
        if let (Some(rec), Some(act), Some(kind)) =
            (recorded.get(key), actual.get(key), Kind::from_word(key))
        {
            ids.learn_record(kind, rec, act);
        }
    }
    for key in ["tickets", "users", "organizations", "groups"] {
        if let (Some(rec), Some(act), Some(kind)) = (
            recorded.get(key).and_then(Value::as_array),
            actual.get(key).and_then(Value::as_array),
            Kind::from_word(key),
        ) {
            ids.learn_list(kind, rec, act);
        }
    }
    ids.learn_cursors(recorded, actual);
    let (Some(rec_job), Some(act_job)) = (recorded.get("job_status"), actual.get("job_status"))
    else {
        return;
    };
    let (Some(rec_id), Some(act_id)) = (rec_job["id"].as_str(), act_job["id"].as_str()) else {
        return;
    };
    ids.job(rec_id, act_id);
    let path = target.split('?').next().unwrap_or_default();
    if path.contains("/create_many") {
        let kind = path
            .trim_start_matches("/api/v2/")
            .split('/')
            .next()
            .and_then(Kind::from_word);
        if let Some(kind) = kind {
            create_jobs.insert(rec_id.to_string(), kind);
        }
    }
    if let Some(kind) = create_jobs.get(rec_id)
        && rec_job["status"] == "completed"
        && act_job["status"] == "completed"
    {
        ids.learn_job_results(*kind, &rec_job["results"], &act_job["results"]);
    }
}
