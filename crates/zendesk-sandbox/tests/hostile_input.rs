//! Hostile input: every request a client can send gets a 4xx in Zendesk's envelope (or a 2xx),
//! never a 500. Requests are generated from the endpoint table (every route, every method,
//! with the agent, end-user, anonymous and bad credentials) with random path ids, query strings
//! and bodies: NUL bytes, control characters, huge numbers, deep nesting, long strings, odd
//! Unicode, search queries of every shape. The generator is seeded, so a failure is
//! reproducible (its seed is printed); `HOSTILE_CASES` sets how many requests run.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{ADMIN_TOKEN, admin, basic, sandbox_with};
use serde_json::{Value, json};
use zendesk_sandbox::{Config, Seed, endpoint_access};

struct Gen(fastrand::Rng);

impl Gen {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.usize(..items.len())]
    }

    fn string(&mut self) -> String {
        let pieces = [
            "",
            " ",
            "\0",
            "\u{0}\u{0}",
            "\u{1}",
            "\n",
            "\"",
            "'",
            "\\",
            "%",
            "_",
            "*",
            "**",
            "é",
            "😀",
            "\u{202e}",
            "\u{feff}",
            "🦀",
            "a",
            "zz",
            "status:open",
            "type:ticket",
            "AND",
            "(",
            ")",
            ":",
            "-",
            "<",
            ">=",
            "1",
            "-1",
            "0",
            "9223372036854775807",
            "99999999999999999999999",
            "null",
            "true",
            "2024-13-45",
            "4hours",
            "me",
            "none",
            "tags:",
            "\"unterminated",
            "subject:*",
            "*x*",
            "fieldvalue:x",
            "custom_field_0:1",
            "order_by:created",
            "sort:asc",
        ];
        let n = self.0.usize(0..6);
        (0..n)
            .map(|_| *self.pick(&pieces))
            .collect::<Vec<_>>()
            .join(*self.pick(&[" ", "", ",", "%20", "&"]))
    }

    fn id(&mut self) -> String {
        self.pick(&[
            "1",
            "2",
            "0",
            "-5",
            "abc",
            "1.5",
            "9223372036854775807",
            "99999999999999999999",
            "%00",
            "1%2C2",
            "1000000001",
            "3000000001",
            "8000000001",
        ])
        .to_string()
    }

    fn value(&mut self, depth: usize) -> Value {
        match self.0.usize(0..if depth > 3 { 6 } else { 9 }) {
            0 => Value::Null,
            1 => json!(self.0.bool()),
            2 => json!(self.0.i64(..)),
            3 => json!(self.0.f64() * 1e300),
            4 | 5 => json!(self.string()),
            6 => Value::Array(
                (0..self.0.usize(0..4))
                    .map(|_| self.value(depth + 1))
                    .collect(),
            ),
            _ => {
                let keys = [
                    "id",
                    "name",
                    "email",
                    "role",
                    "subject",
                    "comment",
                    "body",
                    "public",
                    "status",
                    "priority",
                    "type",
                    "tags",
                    "custom_fields",
                    "requester_id",
                    "assignee_id",
                    "group_id",
                    "organization_id",
                    "user_id",
                    "ids",
                    "scopes",
                    "organization_fields",
                    "user_fields",
                    "custom_field_options",
                    "value",
                    "domain_names",
                    "external_id",
                    "due_at",
                    "password",
                    "key",
                    "title",
                    "suspended",
                    "requester",
                    "safe_update",
                    "updated_stamp",
                    "additional_tags",
                    "actions",
                    "field",
                    "operator",
                    "all",
                    "any",
                    "conditions",
                    "output",
                    "columns",
                    "restriction",
                    "uploads",
                    "label_names",
                    "draft",
                    "locale",
                    "position",
                ];
                let mut map = serde_json::Map::new();
                for _ in 0..self.0.usize(0..5) {
                    map.insert(self.pick(&keys).to_string(), self.value(depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    fn body(&mut self, path: &str) -> Option<String> {
        let wrapper = [
            "ticket",
            "tickets",
            "user",
            "users",
            "organization",
            "organizations",
            "group",
            "organization_field",
            "ticket_field",
            "group_membership",
            "token",
            "macro",
            "view",
            "category",
            "section",
            "article",
        ]
        .into_iter()
        .find(|w| path.contains(&w.replace('_', "")) || path.contains(w))
        .unwrap_or("ticket");
        match self.0.usize(0..8) {
            0 => None,
            1 => Some(self.string()),
            2 => Some("{".repeat(200)),
            3 => Some(json!({ wrapper: self.value(0) }).to_string()),
            4 => Some(json!({ format!("{wrapper}s"): [self.value(0), self.value(0)] }).to_string()),
            5 => Some(self.value(0).to_string()),
            6 => Some(format!(
                "{{\"{wrapper}\": {{\"subject\": \"\\u0000{}\"}}}}",
                "x".repeat(10_000)
            )),
            _ => Some(
                json!({ wrapper: {"comment": {"body": self.string(), "public": self.value(2)}}})
                    .to_string(),
            ),
        }
    }

    fn query(&mut self) -> String {
        let keys = [
            "query",
            "page",
            "per_page",
            "page[size]",
            "page[after]",
            "page[before]",
            "sort",
            "sort_by",
            "sort_order",
            "ids",
            "external_id",
            "external_ids",
            "include",
            "role",
            "role[]",
            "filter[type]",
            "name",
            "permission_set",
            "filename",
            "active",
            "access",
            "locale",
            "section",
            "category",
            "group_id",
        ];
        let mut pairs = Vec::new();
        for _ in 0..self.0.usize(0..4) {
            let value: String = form_urlencoded::byte_serialize(self.string().as_bytes()).collect();
            pairs.push(format!("{}={value}", self.pick(&keys)));
        }
        pairs.join("&")
    }
}

#[tokio::test]
async fn no_request_gets_a_server_error() {
    let cases: usize = std::env::var("HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let seed: u64 = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("HOSTILE_SEED={seed} HOSTILE_CASES={cases}");
    let sb = sandbox_with(Config {
        seed: Some(Seed::Demo),
        ..Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(ADMIN_TOKEN)
        }
    })
    .await;
    let (_, agent) = sb.user("Hostile Agent", "agent").await;
    let (_, customer) = sb.user("Hostile Customer", "end-user").await;
    let endpoints = endpoint_access();
    let mut generator = Gen(fastrand::Rng::with_seed(seed));
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for case in 0..cases {
        let (method, template, _) = generator.pick(&endpoints).clone();
        let method = if generator.0.u8(..) < 20 {
            generator
                .pick(&[
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::DELETE,
                    Method::PATCH,
                ])
                .clone()
        } else {
            method
        };
        let mut path = String::new();
        for segment in template.split('/') {
            if segment.starts_with('{') {
                path.push_str(&generator.id());
            } else {
                path.push_str(segment);
            }
            path.push('/');
        }
        path.pop();
        if generator.0.bool() {
            path.push_str(".json");
        }
        let query = generator.query();
        let uri = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        let auth = match generator.0.usize(0..5) {
            0 => Some(admin()),
            1 => Some(agent.clone()),
            2 => Some(customer.clone()),
            3 => None,
            // A new stranger each time: one stranger's wrong passwords are held back a second
            // each past the sign-in budget, which would make this run take minutes and test
            // the throttle instead of the parser.
            _ => Some(basic(&format!("nobody{case}@example.com\0"), "x")),
        };
        let body = generator.body(&uri);
        let mut request = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header("host", "sandbox.test");
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        let request = match &body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.clone())),
            None => request.body(Body::empty()),
        };
        let Ok(request) = request else {
            // An URI the HTTP layer itself cannot carry never reaches the server.
            continue;
        };
        let reply = sb.raw(request).await;
        *by_status.entry(reply.status.as_u16()).or_default() += 1;
        assert!(
            reply.status < StatusCode::INTERNAL_SERVER_ERROR,
            "case {case} (HOSTILE_SEED={seed}): {method} {uri} body {body:?} -> {} {}",
            reply.status,
            reply.text
        );
        if reply.status.is_client_error() && reply.status != StatusCode::TOO_MANY_REQUESTS {
            assert!(
                reply.body.get("error").is_some() || reply.body.get("errors").is_some(),
                "case {case}: a {} without Zendesk's envelope: {}",
                reply.status,
                reply.text
            );
        }
    }
    println!("{cases} requests, by status: {by_status:?}");
}

/// The inputs that once answered 500: NUL bytes in a search or a user search, and a query of
/// about a thousand terms (SQLite's expression depth limit).
#[tokio::test]
async fn known_killers_are_client_errors() {
    let sb = common::sandbox().await;
    let many_terms: String = (0..1_000).map(|n| format!("word{n} ")).collect();
    let many_or: String = (0..1_000).map(|n| format!("tags:t{n} ")).collect();
    let long_word = "x".repeat(30_000);
    for (path, query) in [
        ("/api/v2/search.json", "a\0b".to_string()),
        ("/api/v2/search.json", "\0".to_string()),
        ("/api/v2/search/count.json", "subject:\"\0\"".to_string()),
        ("/api/v2/users/search.json", "\0".to_string()),
        ("/api/v2/users/search.json", "name:\0x".to_string()),
        ("/api/v2/search.json", many_terms.clone()),
        ("/api/v2/search/count.json", many_or.clone()),
        ("/api/v2/search.json", long_word.clone()),
    ] {
        let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let reply = sb.get(&format!("{path}?query={encoded}")).await;
        assert!(
            reply.status < StatusCode::INTERNAL_SERVER_ERROR,
            "{path} {:?}: {} {}",
            &query[..query.len().min(40)],
            reply.status,
            reply.text
        );
    }
    let export = sb
        .get(&format!(
            "/api/v2/search/export.json?filter[type]=ticket&query={}",
            form_urlencoded::byte_serialize(many_terms.as_bytes()).collect::<String>()
        ))
        .await;
    assert!(
        export.status < StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        export.text
    );
}
