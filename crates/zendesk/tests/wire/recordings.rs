//! Replays the real Zendesk traffic in `shared/reference/zendesk-recordings` (read at run
//! time, never copied) through the client: every recorded answer comes back as the same JSON,
//! every recorded error carries Zendesk's code and text, and recorded list pages decode into
//! typed pages whose "next" obeys `has_more`.

use std::io::Read as _;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::Value;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::types::{Audit, Group, GroupMembership, Organization, Ticket, User};
use zendesk::{Client, Error, Method, Page, Paging, RetryPolicy};

/// The recordings, or `None` (the test is skipped, saying so) when they are not beside the
/// repository.
fn recordings_dir() -> Option<PathBuf> {
    zendesk::types::shared::path(
        env!("CARGO_MANIFEST_DIR"),
        "reference/zendesk-recordings",
        "replaying the recorded Zendesk traffic through the client",
    )
}

struct Interaction {
    method: Method,
    /// Under `/api/v2`, as recorded (with its `.json` suffix).
    path: String,
    query: Vec<(String, String)>,
    request_body: Option<Value>,
    status: u16,
    body: Vec<u8>,
}

fn body_bytes(body: &Value) -> Vec<u8> {
    if let Some(text) = body
        .get("string")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return text.as_bytes().to_vec();
    }
    let Some(encoded) = body.get("base64_string").and_then(Value::as_str) else {
        return Vec::new();
    };
    let packed = base64::engine::general_purpose::STANDARD
        .decode(encoded.replace('\n', ""))
        .expect("recorded base64 decodes");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(packed.as_slice())
        .read_to_end(&mut out)
        .map(|_| out)
        .unwrap_or_else(|_| packed)
}

fn load(dir: &std::path::Path) -> Vec<Interaction> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the reference recordings are beside the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let doc: Value = serde_json::from_str(&text).expect("recording is JSON");
        for item in doc["http_interactions"].as_array().expect("interactions") {
            let request = &item["request"];
            let uri =
                Url::parse(request["uri"].as_str().expect("uri")).expect("recorded uri parses");
            let Some(sub_path) = uri.path().strip_prefix("/api/v2") else {
                continue;
            };
            let request_body = String::from_utf8(body_bytes(&request["body"]))
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok());
            out.push(Interaction {
                method: request["method"]
                    .as_str()
                    .expect("method")
                    .to_ascii_uppercase()
                    .parse()
                    .expect("method"),
                path: sub_path.to_owned(),
                query: uri
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
                request_body,
                status: item["response"]["status"]["code"].as_u64().expect("status") as u16,
                body: body_bytes(&item["response"]["body"]),
            });
        }
    }
    out
}

async fn answer(server: &MockServer, interaction: &Interaction) -> wiremock::MockGuard {
    Mock::given(method(interaction.method.as_str()))
        .and(path(format!("/api/v2{}", interaction.path).as_str()))
        .respond_with(
            ResponseTemplate::new(interaction.status)
                .insert_header("content-type", "application/json; charset=utf-8")
                .set_body_bytes(interaction.body.clone()),
        )
        .expect(1)
        .mount_as_scoped(server)
        .await
}

fn list_key(path: &str) -> Option<&'static str> {
    match path.trim_end_matches(".json") {
        "/tickets" => Some("tickets"),
        "/users" => Some("users"),
        "/organizations" => Some("organizations"),
        "/groups" => Some("groups"),
        "/group_memberships" => Some("group_memberships"),
        "/ticket_audits" => Some("audits"),
        _ => None,
    }
}

async fn typed_page(client: &Client, i: &Interaction) -> (usize, bool, Option<bool>) {
    async fn page<T>(client: &Client, i: &Interaction) -> (usize, bool, Option<bool>)
    where
        T: serde::de::DeserializeOwned + zendesk::types::ListKey + Send + 'static,
    {
        let mut request = client.list::<T>(i.path.clone(), Paging::Cursor);
        for (k, v) in &i.query {
            request = request.param(k.clone(), v.clone());
        }
        let page: Page<T> = request.send().await.expect("recorded page decodes");
        (
            page.items.len(),
            page.next.is_some(),
            page.after_cursor.as_ref().map(|_| page.has_more),
        )
    }
    match list_key(&i.path) {
        Some("tickets") => page::<Ticket>(client, i).await,
        Some("users") => page::<User>(client, i).await,
        Some("organizations") => page::<Organization>(client, i).await,
        Some("group_memberships") => page::<GroupMembership>(client, i).await,
        Some("audits") => page::<Audit>(client, i).await,
        _ => page::<Group>(client, i).await,
    }
}

#[tokio::test]
async fn recorded_traffic_replays_through_the_client() {
    let Some(dir) = recordings_dir() else { return };
    let interactions = load(&dir);
    assert!(
        interactions.len() > 500,
        "only {} interactions found",
        interactions.len()
    );
    let server = MockServer::start().await;
    let client = Client::builder()
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds");
    let (mut ok, mut errors, mut pages) = (0, 0, 0);
    for i in &interactions {
        let guard = answer(&server, i).await;
        let result: Result<Value, Error> = client
            .send(i.method.clone(), &i.path, &i.query, i.request_body.as_ref())
            .await;
        drop(guard);
        let recorded: Value = serde_json::from_slice(&i.body).unwrap_or(Value::Null);
        if (200..300).contains(&i.status) {
            let value = result.unwrap_or_else(|e| panic!("{} {}: {e}", i.method, i.path));
            assert_eq!(value, recorded, "{} {}", i.method, i.path);
            ok += 1;
            if i.method == Method::GET && list_key(&i.path).is_some() {
                let guard = answer(&server, i).await;
                let (count, has_next, has_more) = typed_page(&client, i).await;
                drop(guard);
                let key = list_key(&i.path).unwrap_or_default();
                assert_eq!(
                    count,
                    recorded[key].as_array().map_or(0, Vec::len),
                    "{}",
                    i.path
                );
                if let Some(has_more) = has_more {
                    assert_eq!(
                        has_next,
                        has_more && count > 0,
                        "{}: next must follow has_more",
                        i.path
                    );
                }
                pages += 1;
            }
        } else {
            let err = result.expect_err("a recorded error");
            assert_eq!(err.status(), Some(i.status), "{} {}", i.method, i.path);
            let text = err.to_string();
            assert!(!text.contains("[object Object]"), "{text}");
            if let Some(code) = recorded.get("error").and_then(Value::as_str) {
                assert_eq!(err.code(), Some(code));
                assert!(text.contains(code), "{text}");
            }
            if let Some(description) = recorded.get("description").and_then(Value::as_str) {
                assert!(text.contains(description), "{text}");
            }
            errors += 1;
        }
    }
    assert!(
        ok > 400 && errors >= 20 && pages > 0,
        "ok {ok}, errors {errors}, pages {pages}"
    );
}
