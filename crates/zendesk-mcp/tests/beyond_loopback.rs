//! MCP over HTTP beyond loopback: HTTPS with a certificate and key (a client trusting the test
//! CA initializes a session; a plain-HTTP client gets no answer), a short token refused when
//! bound beyond loopback, and a client sending wrong tokens answered 429 with `Retry-After`.
//!
//! `tests/tls/` holds a test CA and a server certificate for `localhost` and `127.0.0.1`, valid
//! until 2126; the CA's key was discarded once the certificate was signed, so it can sign
//! nothing else, and nothing trusts it beyond these tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;
use zendesk_mcp::{
    HttpOptions, HttpServer, MIN_REMOTE_TOKEN_CHARS, SecretString, ServeError, TlsFiles,
    ToolSelection, WrongTokens, ZendeskMcpServer,
};
use zendesk_tools::{CallContext, registry};

const TOKEN: &str = "a-token-long-enough-for-any-network-0123";

fn server() -> ZendeskMcpServer {
    let tools = ToolSelection::default()
        .select(registry())
        .expect("every tool");
    ZendeskMcpServer::new(tools, CallContext::default())
}

fn tls_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tls")
        .join(name)
}

fn test_tls() -> TlsFiles {
    TlsFiles {
        cert: tls_file("server.crt"),
        key: tls_file("server.key"),
    }
}

/// A TLS client trusting only the test CA.
fn connector() -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(tls_file("ca.crt")).expect("the test CA") {
        roots.add(cert.expect("a PEM certificate")).expect("a CA");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// An MCP `initialize` as an HTTP/1.1 request, the connection closed after the answer.
fn initialize_request(host: SocketAddr, token: &str) -> Vec<u8> {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "zd-tls-test", "version": "0"}
        }
    })
    .to_string();
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads until `until` appears, the peer closes, or 10 s pass; returns what was read.
async fn read_until(stream: &mut (impl AsyncReadExt + Unpin), until: &str) -> String {
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buffer[..n]),
            }
            if String::from_utf8_lossy(&read).contains(until) {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&read).into_owned()
}

/// Binds an HTTPS server on a free loopback port and serves it until the test ends.
async fn start_https() -> SocketAddr {
    let mut options = HttpOptions::new("127.0.0.1:0".parse().unwrap(), SecretString::from(TOKEN));
    options.tls = Some(test_tls());
    let bound = HttpServer::bind(server(), &options)
        .await
        .expect("bind with TLS");
    let addr = bound.local_addr();
    assert_eq!(bound.url(), format!("https://{addr}/mcp"));
    tokio::spawn(bound.run(std::future::pending()));
    addr
}

#[tokio::test]
async fn https_serves_mcp_to_a_client_trusting_the_ca() {
    let addr = start_https().await;
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector()
        .connect(name, tcp)
        .await
        .expect("a TLS handshake with the test CA's certificate");
    tls.write_all(&initialize_request(addr, TOKEN))
        .await
        .expect("send over TLS");
    let answer = read_until(&mut tls, "serverInfo").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("mcp-session-id:"),
        "{answer}"
    );
    assert!(answer.contains(r#""name":"zd""#), "{answer}");
}

#[tokio::test]
async fn plain_http_to_the_https_server_gets_no_http_answer() {
    let addr = start_https().await;
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(&initialize_request(addr, TOKEN))
        .await
        .expect("send in clear");
    let answer = read_until(&mut tcp, "serverInfo").await;
    assert!(
        !answer.contains("HTTP/1.1") && !answer.contains("serverInfo"),
        "a plain-HTTP request was served: {answer}"
    );
}

#[tokio::test]
async fn tls_files_that_do_not_serve_are_refused_at_bind_naming_the_file() {
    let cases = [
        (
            tls_file("missing.crt"),
            tls_file("server.key"),
            "missing.crt",
        ),
        // A key where the certificate belongs: no certificate in it.
        (tls_file("server.key"), tls_file("server.key"), "server.key"),
        // The CA's certificate with the server's key: they do not go together.
        (
            tls_file("ca.crt"),
            tls_file("server.key"),
            "does not go with",
        ),
    ];
    for (cert, key, named) in cases {
        let mut options =
            HttpOptions::new("127.0.0.1:0".parse().unwrap(), SecretString::from(TOKEN));
        options.tls = Some(TlsFiles { cert, key });
        match HttpServer::bind(server(), &options).await {
            Err(ServeError::Config(message)) => {
                assert!(message.contains(named), "{named}: {message}")
            }
            Err(other) => panic!("{named}: not a configuration error: {other}"),
            Ok(_) => panic!("{named}: bound with unusable TLS files"),
        }
    }
}

#[tokio::test]
async fn a_short_token_is_refused_beyond_loopback_only() {
    let short = "x".repeat(MIN_REMOTE_TOKEN_CHARS - 1);
    let anywhere: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let options = HttpOptions::new(anywhere, SecretString::from(short.as_str()));
    match HttpServer::bind(server(), &options).await {
        Err(ServeError::Config(message)) => {
            assert!(message.contains("at least 32"), "{message}");
            assert!(message.contains("31 characters"), "{message}");
            assert!(
                !message.contains(&short),
                "the token is never shown: {message}"
            );
        }
        Err(other) => panic!("not a configuration error: {other}"),
        Ok(_) => panic!("bound beyond loopback with a 31-character token"),
    }
    let long = "x".repeat(MIN_REMOTE_TOKEN_CHARS);
    HttpServer::bind(
        server(),
        &HttpOptions::new(anywhere, SecretString::from(long.as_str())),
    )
    .await
    .expect("32 characters serve beyond loopback");
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    HttpServer::bind(
        server(),
        &HttpOptions::new(loopback, SecretString::from(short.as_str())),
    )
    .await
    .expect("a short token serves on loopback");
}

fn post_from(client: &str, token: &str) -> Request<Body> {
    let peer: SocketAddr = client.parse().unwrap();
    let mut request = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header(header::HOST, "127.0.0.1:8808")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .body(Body::from(
            json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "zd-guess-test", "version": "0"}
                }
            })
            .to_string(),
        ))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

#[tokio::test]
async fn repeated_wrong_tokens_are_answered_429_with_retry_after() {
    let bound: SocketAddr = "127.0.0.1:8808".parse().unwrap();
    let app = zendesk_mcp::http::router(
        server(),
        &HttpOptions::new(bound, SecretString::from(TOKEN)),
        bound,
    );
    let guesser = "203.0.113.7:50000";
    for attempt in 1..=WrongTokens::ALLOWED {
        let response = app
            .router
            .clone()
            .oneshot(post_from(guesser, &format!("guess-{attempt}")))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "guess {attempt}"
        );
    }
    // Past the allowance, even the right token is not looked at: a guess learns nothing.
    for token in ["guess-again", TOKEN] {
        let response = app
            .router
            .clone()
            .oneshot(post_from(guesser, token))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .expect("Retry-After in seconds");
        assert!(
            (1..=WrongTokens::WINDOW.as_secs()).contains(&retry_after),
            "{retry_after}"
        );
    }
    // Another client, with the right token, is served.
    let response = app
        .router
        .clone()
        .oneshot(post_from("198.51.100.2:40000", TOKEN))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_right_token_clears_the_count_of_wrong_ones() {
    let bound: SocketAddr = "127.0.0.1:8808".parse().unwrap();
    let app = zendesk_mcp::http::router(
        server(),
        &HttpOptions::new(bound, SecretString::from(TOKEN)),
        bound,
    );
    let typist = "192.0.2.9:1234";
    for round in 0..3 {
        for _ in 1..WrongTokens::ALLOWED {
            let response = app
                .router
                .clone()
                .oneshot(post_from(typist, "a-typo"))
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
        let response = app
            .router
            .clone()
            .oneshot(post_from(typist, TOKEN))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "round {round}");
    }
}
