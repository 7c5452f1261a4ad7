//! Client construction: subdomain checks, base URLs, auth headers, user agent, timeouts,
//! environment, and secrets kept out of `Debug` and errors.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};
use zendesk::{Auth, Client, ClientBuilder, Error, NO_QUERY};

use crate::common::{self, EMAIL, SECRET};

#[test]
fn refused_subdomains_fail_the_build_with_a_clear_error() {
    for bad in [
        "evil.com/x",
        "a.b",
        "acme@evil.com",
        "x#y",
        "ac me",
        " ",
        "",
        "acme:8080",
        "https://evil.com",
    ] {
        let err = Client::builder()
            .subdomain(bad)
            .auth(Auth::api_token(EMAIL, SECRET))
            .build()
            .expect_err(bad);
        match &err {
            Error::Construction { field, message } => {
                assert_eq!(*field, "subdomain", "{bad}");
                assert!(message.contains("expected"), "{message}");
            }
            other => panic!("{bad}: expected a construction error, got {other:?}"),
        }
    }
}

#[test]
fn accepted_subdomain_forms_reduce_to_the_account() {
    for good in [
        "acme",
        "ACME",
        "acme.zendesk.com",
        "https://acme.zendesk.com",
        "https://acme.zendesk.com/",
    ] {
        let client = Client::builder().subdomain(good).build().expect(good);
        assert_eq!(
            client.api_base().as_str(),
            "https://acme.zendesk.com/api/v2/",
            "{good}"
        );
    }
}

#[test]
fn base_url_is_checked_and_gets_api_v2() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:8080")
        .build()
        .expect("builds");
    assert_eq!(client.api_base().as_str(), "http://127.0.0.1:8080/api/v2/");
    for bad in [
        "ftp://host",
        "http://user:pw@host",
        "not a url",
        "http://host/?q=1",
    ] {
        let err = Client::builder().base_url(bad).build().expect_err(bad);
        assert!(
            matches!(
                err,
                Error::Construction {
                    field: "base_url",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    let err = Client::builder().build().expect_err("no target");
    assert!(matches!(
        err,
        Error::Construction {
            field: "subdomain",
            ..
        }
    ));
}

#[test]
fn bad_credentials_are_refused_without_showing_them() {
    let err = Client::builder()
        .subdomain("acme")
        .auth(Auth::api_token("not-an-email", SECRET))
        .build()
        .expect_err("bad email");
    assert!(matches!(err, Error::Construction { field: "auth", .. }));
    assert!(!err.to_string().contains(SECRET));
    let err = Client::builder()
        .subdomain("acme")
        .auth(Auth::oauth("  "))
        .build()
        .expect_err("empty token");
    assert!(err.to_string().contains("OAuth token is empty"), "{err}");
}

#[tokio::test]
async fn each_auth_kind_sends_its_header_and_the_user_agent() {
    let server = common::server().await;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}/token:{SECRET}"));
    let password = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:pa55"));
    for (auth, expected) in [
        (Auth::api_token(EMAIL, SECRET), format!("Basic {token}")),
        (Auth::oauth("oauth-abc"), "Bearer oauth-abc".to_owned()),
        (Auth::password(EMAIL, "pa55"), format!("Basic {password}")),
    ] {
        let guard = Mock::given(method("GET"))
            .and(path("/api/v2/users/me"))
            .and(header("authorization", expected.as_str()))
            .and(header("user-agent", zendesk::USER_AGENT))
            .and(header("accept", "application/json"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"user": common::user(7)})),
            )
            .expect(1)
            .mount_as_scoped(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .auth(auth)
            .build()
            .expect("builds");
        let me = client.users().me().await.expect("me");
        assert_eq!(me.id.get(), 7);
        drop(guard);
    }
    assert!(zendesk::USER_AGENT.starts_with("zd/"));
}

#[tokio::test]
async fn secrets_never_show_in_debug_or_errors() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "Couldn't authenticate you"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let builder = common::builder(&server);
    let client = builder.clone().build().expect("builds");
    let auths = [
        Auth::api_token(EMAIL, SECRET),
        Auth::oauth(SECRET),
        Auth::password(EMAIL, SECRET),
    ];
    for text in [format!("{builder:?}"), format!("{client:?}")]
        .into_iter()
        .chain(auths.iter().map(|a| format!("{a:?}")))
    {
        assert!(!text.contains(SECRET), "{text}");
    }
    assert!(
        format!("{builder:?}").contains(EMAIL),
        "the email is not secret"
    );
    let err = client.tickets().show(1.into()).await.expect_err("401");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("Couldn't authenticate you"), "{shown}");
}

#[test]
fn from_env_prefers_oauth_and_base_url() {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("ZENDESK_SUBDOMAIN", "acme"),
        ("ZENDESK_BASE_URL", "http://127.0.0.1:9"),
        ("ZENDESK_EMAIL", EMAIL),
        ("ZENDESK_API_TOKEN", SECRET),
        ("ZENDESK_OAUTH_TOKEN", "oauth-xyz"),
    ]);
    let builder = ClientBuilder::from_lookup(|k| vars.get(k).map(|v| v.to_string()));
    let shown = format!("{builder:?}");
    assert!(shown.contains("OAuth"), "{shown}");
    let client = builder.build().expect("builds");
    assert_eq!(client.api_base().as_str(), "http://127.0.0.1:9/api/v2/");

    let vars: HashMap<&str, &str> = HashMap::from([
        ("ZENDESK_SUBDOMAIN", "Acme"),
        ("ZENDESK_EMAIL", EMAIL),
        ("ZENDESK_API_TOKEN", SECRET),
        ("ZENDESK_OAUTH_TOKEN", ""),
    ]);
    let builder = ClientBuilder::from_lookup(|k| vars.get(k).map(|v| v.to_string()));
    assert!(format!("{builder:?}").contains("ApiToken"));
    assert_eq!(
        builder.build().expect("builds").api_base().as_str(),
        "https://acme.zendesk.com/api/v2/"
    );

    let err = ClientBuilder::from_lookup(|_| None)
        .build()
        .expect_err("nothing set");
    assert!(err.to_string().contains("ZENDESK_SUBDOMAIN"), "{err}");
}

#[tokio::test]
async fn bad_paths_are_refused_before_sending() {
    let server = common::server().await;
    let client = common::client(&server);
    for bad in [
        "tickets",
        "/../admin",
        "/tickets/1?x=1",
        "//evil.com/x",
        "/tickets/%2e%2e",
        "/a b",
        "/",
    ] {
        let err = client.get_json(bad, NO_QUERY).await.expect_err(bad);
        assert!(matches!(err, Error::InvalidRequest(_)), "{bad}: {err:?}");
    }
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .request_timeout(Duration::from_millis(200))
        .max_attempts(1)
        .build()
        .expect("builds");
    let err = client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("timeout");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("timed out"), "{err}");
}
