//! Cross-cutting behaviour: authentication and roles, OAuth tokens, rate limits, the job limit,
//! persistence across restarts (resumed and abandoned jobs), a real server on port 0 with a
//! clean shutdown, the demo seed, and secrets kept out of `Debug`.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{ADMIN_TOKEN, admin, basic, sandbox, sandbox_with};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_sandbox::resources::organizations;
use zendesk_sandbox::store::{Bind, JobRow, Store, StoreError, Writer};
use zendesk_sandbox::{AppState, Caller, Config, Role, Sandbox, Seed, seed_demo};

fn temp_db(name: &str) -> (std::path::PathBuf, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir =
        std::env::temp_dir().join(format!("zd-sandbox-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sandbox.db");
    let url = format!("sqlite://{}", path.display());
    (dir, url)
}

fn file_config(url: &str) -> Config {
    Config {
        db_url: url.to_string(),
        ..Config::in_memory(ADMIN_TOKEN)
    }
}

#[tokio::test]
async fn bad_or_missing_credentials_are_401() {
    let sb = sandbox().await;
    for auth in [
        None,
        Some(basic("admin@example.com/token", "wrong")),
        Some(basic("nobody@example.com", "pw")),
    ] {
        let r = sb
            .call(Method::GET, "/api/v2/tickets.json", auth.as_deref(), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body, json!({"error": "Couldn't authenticate you"}));
    }
    // A bearer token Zendesk does not know is answered as OAuth answers it.
    let r = sb
        .call(
            Method::GET,
            "/api/v2/tickets.json",
            Some("Bearer nope"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"], "invalid_token");
    assert_eq!(
        r.headers["www-authenticate"],
        "Bearer realm=\"Zendesk\", error=\"invalid_token\""
    );
    let r = sb
        .call(
            Method::GET,
            "/api/v2/users/me.json",
            Some(&basic("admin@example.com/token", "wrong")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn end_users_see_only_their_own_tickets_and_themselves() {
    let sb = sandbox().await;
    let staff_ticket = sb.ticket("staff").await;
    let (customer, customer_auth) = sb.user("Carla Customer", "end-user").await;
    let own = sb
        .call(Method::POST, "/api/v2/tickets.json", Some(&customer_auth), Some(json!({"ticket": {"subject": "mine", "comment": {"body": "help"}, "requester_id": 1, "assignee_id": 1_000_000_001_i64, "status": "solved"}})))
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);
    assert_eq!(own.body["ticket"]["requester_id"], customer);
    // Routing fields from an end-user are ignored.
    assert!(own.body["ticket"]["assignee_id"].is_null());
    assert_eq!(own.body["ticket"]["status"], "new");
    let list = sb
        .call(
            Method::GET,
            "/api/v2/tickets.json",
            Some(&customer_auth),
            None,
        )
        .await;
    let ids: Vec<i64> = list.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![own.body["ticket"]["id"].as_i64().unwrap()]);
    let other = sb
        .call(
            Method::GET,
            &format!("/api/v2/tickets/{staff_ticket}"),
            Some(&customer_auth),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let users = sb
        .call(
            Method::GET,
            "/api/v2/users.json",
            Some(&customer_auth),
            None,
        )
        .await;
    assert_eq!(users.status, StatusCode::FORBIDDEN);
    assert_eq!(users.body["error"], "Forbidden");
    let me = sb
        .call(
            Method::GET,
            "/api/v2/users/me.json",
            Some(&customer_auth),
            None,
        )
        .await;
    assert_eq!(me.body["user"]["id"], customer);
    let status_change = sb
        .call(
            Method::PUT,
            &format!("/api/v2/tickets/{}", own.body["ticket"]["id"]),
            Some(&customer_auth),
            Some(json!({"ticket": {"status": "solved"}})),
        )
        .await;
    assert_eq!(status_change.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn agents_cannot_grant_roles_or_manage_groups() {
    let sb = sandbox().await;
    let (_, agent) = sb.user("Andy Agent", "agent").await;
    let (customer, _) = sb.user("Cory Customer", "end-user").await;
    let promote = sb
        .call(
            Method::PUT,
            &format!("/api/v2/users/{customer}"),
            Some(&agent),
            Some(json!({"user": {"role": "admin"}})),
        )
        .await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN);
    let edit = sb
        .call(
            Method::PUT,
            &format!("/api/v2/users/{customer}"),
            Some(&agent),
            Some(json!({"user": {"notes": "vip"}})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    let group = sb
        .call(
            Method::POST,
            "/api/v2/groups.json",
            Some(&agent),
            Some(json!({"group": {"name": "g"}})),
        )
        .await;
    assert_eq!(group.status, StatusCode::FORBIDDEN);
    let ticket = sb
        .call(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&agent),
            Some(json!({"ticket": {"comment": {"body": "by agent"}}})),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED);
}

#[tokio::test]
async fn deleted_users_cannot_authenticate() {
    let sb = sandbox().await;
    let (id, auth) = sb.user("Gone Soon", "agent").await;
    assert_eq!(
        sb.call(Method::GET, "/api/v2/users/me", Some(&auth), None)
            .await
            .status,
        StatusCode::OK
    );
    sb.delete(&format!("/api/v2/users/{id}")).await;
    assert_eq!(
        sb.call(Method::GET, "/api/v2/tickets", Some(&auth), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn oauth_tokens_authenticate_with_their_scopes() {
    let sb = sandbox().await;
    let read = sb
        .post(
            "/api/v2/oauth/tokens.json",
            json!({"token": {"scopes": ["read"]}}),
        )
        .await;
    assert_eq!(read.status, StatusCode::CREATED, "{}", read.text);
    let read_token = read.body["token"]["full_token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {read_token}");
    assert_eq!(
        sb.call(Method::GET, "/api/v2/tickets.json", Some(&bearer), None)
            .await
            .status,
        StatusCode::OK
    );
    let write = sb
        .call(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&bearer),
            Some(json!({"ticket": {"comment": {"body": "x"}}})),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let rw = sb
        .post(
            "/api/v2/oauth/tokens.json",
            json!({"token": {"scopes": ["read", "write"]}}),
        )
        .await;
    let bearer = format!(
        "Bearer {}",
        rw.body["token"]["full_token"].as_str().unwrap()
    );
    let write = sb
        .call(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&bearer),
            Some(json!({"ticket": {"comment": {"body": "x"}}})),
        )
        .await;
    assert_eq!(write.status, StatusCode::CREATED);
    let bad_scope = sb
        .post(
            "/api/v2/oauth/tokens.json",
            json!({"token": {"scopes": ["admin"]}}),
        )
        .await;
    assert_eq!(bad_scope.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let sb = sandbox_with(Config {
        rate_limit_per_minute: Some(3),
        ..Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(ADMIN_TOKEN)
        }
    })
    .await;
    let first = sb.get("/api/v2/users/me.json").await;
    assert_eq!(first.status, StatusCode::OK);
    for header in [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-rate-limit",
        "x-rate-limit-remaining",
    ] {
        assert!(first.headers.contains_key(header), "missing {header}");
    }
    assert_eq!(first.headers["x-rate-limit"], "3");
    assert!(!first.headers.contains_key("retry-after"));
    let mut limited = None;
    for _ in 0..8 {
        let r = sb.get("/api/v2/users/me.json").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert!(!r.headers.contains_key("retry-after"));
    }
    let limited = limited.expect("the fourth request in a minute is limited");
    assert!(
        limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
    assert_eq!(limited.headers["ratelimit-remaining"], "0");
    assert!(
        limited.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(
        limited.text,
        "Number of allowed API requests per minute exceeded"
    );

    let unlimited = sandbox().await;
    assert!(
        !unlimited
            .get("/api/v2/users/me")
            .await
            .headers
            .contains_key("x-rate-limit")
    );
}

async fn open_store(url: &str) -> Store {
    Store::open(url).await.expect("store opens")
}

fn job(id: &str, payload: serde_json::Value, total: i64) -> JobRow {
    JobRow {
        id: id.to_string(),
        kind: "organizations.create_many".into(),
        status: "queued".into(),
        payload,
        total,
        progress: None,
        message: None,
        results: None,
        base_url: "http://sandbox.test".into(),
        caller_id: 1_000_000_001,
    }
}

#[tokio::test]
async fn restart_resumes_queued_jobs_and_goes_on_with_abandoned_ones() {
    let (dir, url) = temp_db("restart");
    {
        // First life: the admin exists, one job is queued, and another was left working by a
        // process that died after its first two items (their records and results committed
        // together, item by item).
        let state = AppState::open(&file_config(&url)).await.unwrap();
        state.close().await.unwrap();
        let store = open_store(&url).await;
        store
            .write(|tx: &mut dyn Writer| {
                tx.insert_job(&job(
                    "V3-queued",
                    json!({"organizations": [{"name": "Resumed Org"}]}),
                    1,
                ))?;
                tx.insert_job(&job(
                    "V3-abandoned",
                    json!({"organizations": [{"name": "Done A"}, {"name": "Done B"}, {"name": "Third"}]}),
                    3,
                ))?;
                tx.claim_job("V3-abandoned", "dead")?;
                let admin = Caller {
                    id: 1_000_000_001,
                    role: Role::Admin,
                };
                for (index, name) in ["Done A", "Done B"].into_iter().enumerate() {
                    let input = json!({"name": name});
                    let org = organizations::create(tx, &admin, input.as_object().unwrap())
                        .map_err(|e| StoreError::database(format!("{e:?}")))?;
                    let result = json!({"index": index, "id": org["id"], "status": "Created"});
                    tx.record_job_item("V3-abandoned", index as i64, &result, "Processing")?;
                }
                // Its runner never beat again.
                tx.execute(
                    "UPDATE jobs SET heartbeat_at = 0 WHERE id = ?1",
                    &[Bind::Text("V3-abandoned".into())],
                )?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
        // What a client sees meanwhile: working, two of three done.
        let seen = store
            .read(|reader| reader.job("V3-abandoned"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((seen.status.as_str(), seen.progress), ("working", Some(2)));
        store.close().await;
    }
    let sb = sandbox_with(file_config(&url)).await;
    let resumed = sb.wait_job("V3-queued").await;
    assert_eq!(resumed["status"], "completed");
    assert_eq!(resumed["results"][0]["status"], "Created");
    let abandoned = sb.wait_job("V3-abandoned").await;
    assert_eq!(abandoned["status"], "completed", "{abandoned}");
    assert_eq!(abandoned["progress"], 3);
    let results = abandoned["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{abandoned}");
    let mut names: Vec<String> = sb.get("/api/v2/organizations").await.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    // Every item took effect exactly once.
    assert_eq!(names, ["Done A", "Done B", "Resumed Org", "Third"]);
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["index"], index);
        let org = sb
            .get(&format!("/api/v2/organizations/{}", result["id"]))
            .await;
        assert_eq!(org.status, StatusCode::OK, "{result}");
    }
    sb.state.close().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_job_is_claimed_once_and_the_queue_holds_at_most_30() {
    let (dir, url) = temp_db("claims");
    let state = AppState::open(&file_config(&url)).await.unwrap();
    state.close().await.unwrap();
    let store = open_store(&url).await;
    let claim = |runner: &'static str| {
        store.write(move |tx: &mut dyn Writer| tx.claim_job("V3-claim", runner))
    };
    store
        .write(|tx: &mut dyn Writer| {
            tx.insert_job(&job("V3-claim", json!({"organizations": []}), 0))
        })
        .await
        .unwrap();
    assert!(claim("one").await.unwrap());
    assert!(!claim("two").await.unwrap());
    // 30 jobs busy in another (live) process: a new bulk request is refused.
    store
        .write(|tx: &mut dyn Writer| {
            for n in 0..29 {
                let id = format!("V3-busy-{n}");
                tx.insert_job(&job(&id, json!({"organizations": []}), 0))?;
                tx.claim_job(&id, "other")?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    store.close().await;
    let sb = sandbox_with(file_config(&url)).await;
    let r = sb
        .post(
            "/api/v2/organizations/create_many.json",
            json!({"organizations": [{"name": "x"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.body["error"], "TooManyJobs");
    assert_eq!(sb.get("/api/v2/organizations").await.body["count"], 0);
    sb.state.close().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

async fn http_get(addr: std::net::SocketAddr, path: &str, auth: Option<&str>) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn a_real_server_on_port_0_serves_and_shuts_down_after_draining_jobs() {
    let (dir, url) = temp_db("server");
    let running = Sandbox::start(file_config(&url)).await.unwrap();
    let addr = running.local_addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(running.base_url(), format!("http://{addr}"));
    let me = http_get(addr, "/api/v2/users/me.json", Some(&admin())).await;
    assert!(me.starts_with("HTTP/1.1 200"), "{me}");
    assert!(me.contains(&format!("\"url\":\"http://{addr}/api/v2/users/")));
    // Queue a job right before shutdown: it must be finished by the time shutdown returns.
    let store = running.state().store().clone();
    store
        .write(|tx: &mut dyn Writer| {
            tx.insert_job(&job(
                "V3-last",
                json!({"organizations": [{"name": "Late Org"}]}),
                1,
            ))
        })
        .await
        .unwrap();
    running.shutdown().await.unwrap();
    let reopened = open_store(&url).await;
    let job = reopened
        .read(|reader| reader.job("V3-last"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, "completed");
    reopened.close().await;
    let refused =
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await;
    assert!(
        !matches!(refused, Ok(Ok(_))),
        "the listener is closed after shutdown"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn demo_seed_fills_an_empty_database_once() {
    let sb = sandbox_with(Config {
        seed: Some(Seed::Demo),
        ..Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(ADMIN_TOKEN)
        }
    })
    .await;
    let tickets = sb.get("/api/v2/tickets.json").await;
    let statuses: std::collections::BTreeSet<String> = tickets.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses.len(), 6, "{statuses:?}");
    assert!(
        sb.get("/api/v2/organizations").await.body["count"]
            .as_i64()
            .unwrap()
            >= 3
    );
    assert!(
        sb.get("/api/v2/groups").await.body["count"]
            .as_i64()
            .unwrap()
            >= 3
    );
    assert!(
        sb.get("/api/v2/users.json?role=agent").await.body["count"]
            .as_i64()
            .unwrap()
            >= 3
    );
    let comments = sb.get("/api/v2/tickets/3/comments").await;
    assert!(comments.body["comments"].as_array().unwrap().len() >= 2);
    assert!(!seed_demo(sb.state.store()).await.unwrap());
    assert_eq!(
        sb.get("/api/v2/tickets.json").await.body["count"],
        tickets.body["count"]
    );
}

#[tokio::test]
async fn database_urls_accept_plain_paths_and_refuse_other_backends() {
    let (dir, _) = temp_db("paths");
    let path = dir.join("plain.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    store.close().await;
    assert!(path.exists());
    let refused = Store::open("mysql://root:hunter2@localhost/zd").await;
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("unsupported database URL"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_debug_hides_the_admin_token() {
    let config = Config::in_memory("super-secret-token");
    let debug = format!("{config:?}");
    assert!(!debug.contains("super-secret-token"));
    assert!(debug.contains("[redacted]"));
}

#[tokio::test]
async fn the_same_sandbox_answers_with_and_without_json_suffix() {
    let sb = sandbox().await;
    let id = sb.ticket("suffix").await;
    let a = sb.get(&format!("/api/v2/tickets/{id}")).await;
    let b = sb.get(&format!("/api/v2/tickets/{id}.json")).await;
    assert_eq!(a.body, b.body);
}

/// A write job that swallows a failed statement and answers Ok is still undone, on both
/// backends (PostgreSQL aborts the transaction at the failed statement; SQLite would go on), and
/// the caller learns why.
#[tokio::test]
async fn a_write_whose_statement_failed_is_undone_even_when_it_answers_ok() {
    let store = open_store(&zendesk_sandbox::test_db_url()).await;
    let group = json!({"id": 3_000_000_777_i64, "name": "Half applied", "deleted": false,
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
    let saved = group.clone();
    let refused = store
        .write(move |tx| {
            tx.save(zendesk_sandbox::store::Table::Groups, &saved)?;
            // The error is dropped, as a careless rule might.
            let _ = tx.execute("UPDATE no_such_table SET x = 1", &[]);
            Ok::<_, StoreError>(())
        })
        .await
        .expect_err("the write is refused");
    assert!(
        refused
            .detail
            .starts_with("a statement failed, so the write was rolled back: "),
        "{refused}"
    );
    assert!(refused.detail.contains("no_such_table"), "{refused}");
    let kept = store
        .read(|reader| reader.record(zendesk_sandbox::store::Table::Groups, 3_000_000_777))
        .await
        .unwrap();
    assert_eq!(kept, None, "nothing of the write was kept");
    // The writer goes on: the next write commits.
    store
        .write(move |tx| tx.save(zendesk_sandbox::store::Table::Groups, &group))
        .await
        .unwrap();
    store.close().await;
}
