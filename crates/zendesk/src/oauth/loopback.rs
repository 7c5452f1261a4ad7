//! The one-shot redirect listener of a native app's sign-in (RFC 8252 §7.3): it listens on
//! `127.0.0.1` (any free port, or a given one), waits for the browser to come back to
//! `/callback` with the authorization code, answers it with a small page, checks `state`, and
//! closes. Other requests (a favicon) get a 404 and the wait goes on.

use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::AuthorizationRequest;
use crate::error::{Error, Result};

/// The path the browser is sent back to.
const CALLBACK_PATH: &str = "/callback";
/// Largest request head read from the browser.
const MAX_HEAD: usize = 16 * 1024;
/// Time one browser connection has to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the browser brought back, once `state` has been checked.
pub struct Redirect {
    /// The authorization code (secret: it buys tokens for 120 s).
    pub code: SecretString,
}

impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redirect")
            .field("code", &"[redacted]")
            .finish()
    }
}

/// A listener on `127.0.0.1` for exactly one redirect.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
}

fn failed(message: String) -> Error {
    Error::OAuth {
        operation: "waiting for the browser's redirect",
        status: None,
        code: None,
        message,
    }
}

impl LoopbackListener {
    /// Listens on `127.0.0.1:port` (0: any free port).
    pub async fn bind(port: u16) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| failed(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| failed(format!("cannot read the listening port: {e}")))?
            .port();
        Ok(Self { listener, port })
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:{port}/callback`, the `redirect_uri` to send.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Waits (at most `timeout`) for the redirect answering `request`, answers the browser
    /// and closes. Refused: a redirect with Zendesk's `error` (the user denied access), with a
    /// `state` other than the one sent, or without a code.
    pub async fn wait(self, request: &AuthorizationRequest, timeout: Duration) -> Result<Redirect> {
        let waiting = async {
            loop {
                let (stream, _) = self
                    .listener
                    .accept()
                    .await
                    .map_err(|e| failed(format!("the redirect listener failed: {e}")))?;
                if let Some(outcome) = handle(stream, request).await {
                    return outcome;
                }
            }
        };
        match tokio::time::timeout(timeout, waiting).await {
            Ok(outcome) => outcome,
            Err(_) => Err(failed(format!(
                "no redirect from the browser within {} s; run the sign-in again",
                timeout.as_secs()
            ))),
        }
    }
}

/// Serves one connection; `None` when it was not the redirect (keep waiting).
async fn handle(mut stream: TcpStream, request: &AuthorizationRequest) -> Option<Result<Redirect>> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => return None,
    };
    let target = head
        .lines()
        .next()
        .and_then(|line| {
            let mut parts = line.split(' ');
            (parts.next() == Some("GET")).then(|| parts.next())?
        })
        .unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH {
        respond(&mut stream, "404 Not Found", "Not found", "Nothing here.").await;
        return None;
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    // An error answer without `state` still says what happened; with a foreign `state` it is
    // refused like any other answer to someone else's request. Nothing is exchanged either way.
    let error_without_state = error.is_some() && state.is_none();
    if let (false, Err(refused)) = (error_without_state, request.check_state(state.as_deref())) {
        respond(
            &mut stream,
            "400 Bad Request",
            "Sign-in refused",
            "This answer does not belong to the sign-in zd started (its state does not match). \
             Nothing was signed in; run the sign-in again.",
        )
        .await;
        return Some(Err(refused));
    }
    if let Some(error) = error {
        let said = match &description {
            Some(description) => format!("{error}: {description}"),
            None => error.clone(),
        };
        respond(
            &mut stream,
            "200 OK",
            "Sign-in not completed",
            &format!("Zendesk answered: {said}. You can close this tab."),
        )
        .await;
        return Some(Err(Error::OAuth {
            operation: "signing in",
            status: None,
            code: Some(error),
            message: format!("Zendesk did not grant access ({said})"),
        }));
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => {
            respond(
                &mut stream,
                "200 OK",
                "Signed in",
                "zd received the authorization. You can close this tab and return to the terminal.",
            )
            .await;
            Some(Ok(Redirect {
                code: SecretString::from(code),
            }))
        }
        None => {
            respond(
                &mut stream,
                "400 Bad Request",
                "Sign-in refused",
                "The redirect carried no authorization code.",
            )
            .await;
            Some(Err(failed(
                "the redirect carried neither a code nor an error".into(),
            )))
        }
    }
}

/// Reads up to the end of the request head (`\r\n\r\n`), bounded.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if buffer.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(String::from_utf8_lossy(&buffer).into_owned());
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>zd: {title}</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{}</p></body></html>",
        escape_html(text)
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
