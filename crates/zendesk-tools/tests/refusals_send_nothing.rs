//! A refused call sends nothing: the tools are pointed at a local TCP listener that counts
//! connections and answers like Zendesk; every kind of bad input is refused with zero
//! connections, and a good call (the control) does connect.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_tools::{CallContext, Connection, registry};

/// Listens on 127.0.0.1:0; counts connections and answers each request with `body`.
async fn counting_server(body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut buffer).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), hits)
}

fn context(base_url: &str) -> CallContext {
    CallContext::with_connection(Connection {
        base_url: Some(base_url.to_owned()),
        email: Some("agent@example.com".into()),
        api_token: Some("test-token".into()),
        ..Default::default()
    })
}

async fn refused(ctx: &CallContext, tool: &str, args: Value) -> String {
    let result = registry().get(tool).unwrap().call(args, ctx).await;
    assert!(!result.success, "{tool} should refuse: {:?}", result);
    let json = result.to_json();
    assert_eq!(json["success"], false);
    assert!(json["output"].is_object());
    result.error.unwrap()
}

#[tokio::test]
async fn every_refusal_kind_makes_no_request() {
    let (base_url, hits) = counting_server(r#"{"ticket": {"id": 7, "subject": "s"}}"#).await;
    let ctx = context(&base_url);
    let too_many: Vec<Value> = (0..101).map(|i| json!({"subject": i})).collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "zendesk_get_ticket",
            json!({"ticketId": "12a"}),
            "ticketId must be a numeric string such as \"12345\"",
        ),
        (
            "zendesk_get_tickets",
            json!({"status": "opened"}),
            "status must be one of",
        ),
        (
            "zendesk_create_ticket",
            json!({"description": "d", "customFields": "{\"1\": }"}),
            "customFields is not valid JSON: expected value at line 1 column 7",
        ),
        (
            "zendesk_create_tickets_bulk",
            json!({"tickets": too_many}),
            "101 items; at most 100",
        ),
        (
            "zendesk_update_tickets_bulk",
            json!({"ticketIds": (1..=101).map(|n| n.to_string()).collect::<Vec<_>>().join(","), "status": "open"}),
            "101 items; at most 100",
        ),
        (
            "zendesk_create_ticket",
            json!({"subject": "no description"}),
            "missing required param",
        ),
        (
            "zendesk_get_ticket",
            json!({"ticketId": "1", "subdomain": "evil.com/x"}),
            "subdomain must be",
        ),
        (
            "zendesk_get_ticket",
            json!({"ticketId": "1", "subdomain": "acme@evil"}),
            "subdomain must be",
        ),
        (
            "zendesk_get_ticket",
            json!({"ticketId": "1", "bogus": "x"}),
            "unknown param \"bogus\"",
        ),
        (
            "zendesk_update_ticket",
            json!({"ticketId": "1"}),
            "nothing to update",
        ),
        (
            "zendesk_merge_tickets",
            json!({"targetTicketId": "1", "sourceTicketIds": "1,2"}),
            "must not include the target",
        ),
        ("zendesk_search_users", json!({}), "give query"),
        (
            "zendesk_get_job_status",
            json!({"jobId": "../users/me"}),
            "jobId must be",
        ),
        // Issue 9: what would otherwise be dropped, searched as text, or made public.
        (
            "zendesk_create_tickets_bulk",
            json!({"tickets": [{"subject": "s", "comment": {"body": "b"}, "requesterId": 5}]}),
            "use \"requester_id\"",
        ),
        (
            "zendesk_search",
            json!({"query": "status:open AND priority:high", "filterType": "ticket"}),
            "AND is not an operator",
        ),
        (
            "zendesk_search_count",
            json!({"query": "(priority:urgent)"}),
            "no parentheses",
        ),
        (
            "zendesk_search",
            json!({"query": "type:organization acme", "filterType": "user"}),
            "filterType is \"user\"",
        ),
        (
            "zendesk_update_ticket",
            json!({"ticketId": "1", "commentPublic": "false"}),
            "no comment was given",
        ),
        (
            "zendesk_get_tickets",
            json!({"fields": "id,subjekt"}),
            "did you mean \"subject\"",
        ),
        (
            "zendesk_reply_to_ticket",
            json!({"ticketId": "1", "body": "hi", "status": "waiting"}),
            "status must be one of",
        ),
        (
            "zendesk_add_internal_note",
            json!({"ticketId": "1"}),
            "missing required param",
        ),
        (
            "zendesk_get_group_memberships",
            json!({"groupId": "x"}),
            "zendesk_get_groups",
        ),
    ];
    for (tool, args, expected) in cases {
        let error = refused(&ctx, tool, args).await;
        assert!(error.contains(expected), "{tool}: {error}");
        assert_eq!(hits.load(Ordering::SeqCst), 0, "{tool} made a request");
    }

    // A bad `waitSeconds` on any bulk tool is refused before the job is started: otherwise
    // the job would run while the caller is told the call failed.
    let bulk_calls: Vec<(&str, Value)> = vec![
        (
            "zendesk_create_tickets_bulk",
            json!({"tickets": [{"subject": "s", "comment": {"body": "b"}}]}),
        ),
        (
            "zendesk_update_tickets_bulk",
            json!({"ticketIds": "1, 2", "status": "open"}),
        ),
        (
            "zendesk_merge_tickets",
            json!({"targetTicketId": "1", "sourceTicketIds": "2"}),
        ),
        (
            "zendesk_create_users_bulk",
            json!({"users": [{"name": "U", "email": "u@example.com"}]}),
        ),
        (
            "zendesk_update_users_bulk",
            json!({"users": [{"id": "5", "name": "U"}]}),
        ),
        (
            "zendesk_create_organizations_bulk",
            json!({"organizations": [{"name": "O"}]}),
        ),
    ];
    for (tool, args) in &bulk_calls {
        for bad in ["abc", "-1", "601", "1.5"] {
            let mut args = args.clone();
            args["waitSeconds"] = json!(bad);
            let error = refused(&ctx, tool, args).await;
            assert!(
                error.contains("waitSeconds must be a whole number from 0 to 600"),
                "{tool} waitSeconds={bad:?}: {error}"
            );
            assert_eq!(hits.load(Ordering::SeqCst), 0, "{tool} made a request");
        }
        // The same call with a good wait passes the checks, so the refusals above were about
        // `waitSeconds` alone.
        let mut args = args.clone();
        args["waitSeconds"] = json!("30");
        assert_eq!(
            registry().get(tool).unwrap().check(args, &ctx.connection),
            Ok(()),
            "{tool}"
        );
    }

    // The control: a good call reaches the listener, so the zero above means something.
    let result = registry()
        .get("zendesk_get_ticket")
        .unwrap()
        .call(json!({"ticketId": "7"}), &ctx)
        .await;
    assert!(result.success, "{:?}", result.error);
    assert_eq!(result.output["ticket_id"], 7);
    assert!(hits.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn without_configuration_the_error_says_what_to_set() {
    // No destination in the context; the environment may or may not have one, so only run the
    // assertion when it has none (CI and fresh machines).
    if std::env::var_os("ZENDESK_SUBDOMAIN").is_some()
        || std::env::var_os("ZENDESK_BASE_URL").is_some()
    {
        return;
    }
    let result = registry()
        .get("zendesk_get_current_user")
        .unwrap()
        .call(json!({}), &CallContext::default())
        .await;
    assert!(!result.success);
    let error = result.error.unwrap();
    assert!(error.contains("ZENDESK_SUBDOMAIN"), "{error}");
}

#[tokio::test]
async fn secrets_never_appear_in_errors() {
    let (base_url, _hits) = counting_server("{}").await;
    let ctx = CallContext::with_connection(Connection {
        base_url: Some(base_url),
        ..Default::default()
    });
    let result = registry()
        .get("zendesk_get_ticket")
        .unwrap()
        .call(
            json!({"ticketId": "x", "email": "bad email", "apiToken": "sup3r-s3cret"}),
            &ctx,
        )
        .await;
    let text = result.to_json().to_string();
    assert!(!text.contains("sup3r-s3cret"), "{text}");
    let result = registry()
        .get("zendesk_get_ticket")
        .unwrap()
        .call(
            json!({"ticketId": "1", "email": "bad email", "apiToken": "sup3r-s3cret"}),
            &ctx,
        )
        .await;
    let text = result.to_json().to_string();
    assert!(!result.success);
    assert!(text.contains("email must be"), "{text}");
    assert!(!text.contains("sup3r-s3cret"), "{text}");
    assert!(!format!("{ctx:?}").contains("sup3r"));
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    // A port that was free a moment ago: nothing listens there now.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let result = registry()
        .get("zendesk_get_current_user")
        .unwrap()
        .call(json!({}), &context(&format!("http://{address}")))
        .await;
    assert!(!result.success);
    let error = result.error.unwrap();
    assert!(error.contains("could not reach Zendesk"), "{error}");
    assert!(
        error.contains("check the subdomain (or ZENDESK_BASE_URL)"),
        "{error}"
    );
}

#[test]
fn check_refuses_what_call_would_refuse_without_sending() {
    let tool = registry().get("zendesk_update_tickets_bulk").unwrap();
    let connection = Connection {
        base_url: Some("http://127.0.0.1:9".into()),
        email: Some("agent@example.com".into()),
        api_token: Some("t".into()),
        ..Default::default()
    };
    assert_eq!(
        tool.check(json!({"ticketIds": "1, 2", "tags": "x"}), &connection),
        Ok(())
    );
    let error = tool
        .check(json!({"ticketIds": "1, b"}), &connection)
        .unwrap_err();
    assert!(error.contains("\"b\" is not a positive number"), "{error}");
    let error = tool
        .check(json!({"ticketIds": "1"}), &Connection::default())
        .unwrap_err();
    assert!(error.starts_with("nothing to update"), "{error}");
}
