//! `zd sandbox serve --admin-token-file` and the serving-limit flags, run as a user would: the
//! token is read from the file (and never shows in the process's command line), a file others
//! can read draws a warning, and limit flags are checked before anything is served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ZD: &str = env!("CARGO_BIN_EXE_zd");

struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `zd sandbox serve` on a free port with an in-memory database; returns it with its
/// base URL once it says where it serves.
fn serve(extra: &[&str]) -> Served {
    let mut child = Command::new(ZD)
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            "sqlite::memory:",
        ])
        .args(extra)
        .env_remove("ZD_SANDBOX_ADMIN_TOKEN")
        .env_remove("ZD_SANDBOX_ADMIN_TOKEN_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run zd sandbox serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches("/api/v2")
        .to_string();
    Served { child, base }
}

/// GET /api/v2/users/me.json with the admin's token; returns the status.
fn me_status(base: &str, token: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let credentials = base64_encode(format!("admin@example.com/token:{token}").as_bytes());
    write!(
        stream,
        "GET /api/v2/users/me.json HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {credentials}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer[9..12].parse().unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn token_file(dir: &tempfile::TempDir, token: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.path().join("admin-token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

#[test]
fn the_admin_token_comes_from_the_file_and_not_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let token = "file-token-7f3a9c";
    let path = token_file(&dir, token, 0o600);
    let served = serve(&["--admin-token-file", path.to_str().unwrap()]);
    assert_eq!(me_status(&served.base, token), 200);
    assert_eq!(me_status(&served.base, "wrong"), 401);
    #[cfg(target_os = "linux")]
    {
        let cmdline =
            std::fs::read(format!("/proc/{}/cmdline", served.child.id())).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        assert!(cmdline.contains("--admin-token-file"), "{cmdline}");
        assert!(!cmdline.contains(token), "the token shows in ps: {cmdline}");
    }
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let token = "loose-token-51c2";
    let path = token_file(&dir, token, 0o644);
    let mut served = serve(&["--admin-token-file", path.to_str().unwrap()]);
    assert_eq!(me_status(&served.base, token), 200);
    let _ = served.child.kill();
    let mut stderr = String::new();
    served
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("open to other users (mode 644)"),
        "{stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains(token), "{stderr}");
}

#[test]
fn a_missing_token_file_or_a_bad_limit_is_refused_before_serving() {
    let output = Command::new(ZD)
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            "sqlite::memory:",
        ])
        .args(["--admin-token-file", "/nonexistent/zd-admin-token"])
        .env_remove("ZD_SANDBOX_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/zd-admin-token"), "{stderr}");

    let output = Command::new(ZD)
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            "sqlite::memory:",
        ])
        .args(["--max-body-size", "2 fathoms"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("such as 2MiB"), "{stderr}");
}

#[test]
fn a_token_file_beside_a_token_from_the_environment_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = token_file(&dir, "file-token", 0o600);
    let output = Command::new(ZD)
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            "sqlite::memory:",
        ])
        .args(["--admin-token-file", path.to_str().unwrap()])
        .env("ZD_SANDBOX_ADMIN_TOKEN", "env-token")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("given twice"), "{stderr}");
    assert!(stderr.contains("ZD_SANDBOX_ADMIN_TOKEN)"), "{stderr}");
    assert!(
        !stderr.contains("env-token") && !stderr.contains("file-token"),
        "{stderr}"
    );
}

#[test]
fn http_limit_flags_without_http_are_refused() {
    let output = Command::new(ZD)
        .args(["mcp", "--max-sessions", "10", "--header-timeout", "5s"])
        .env_remove("ZD_MCP_AUTH_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--header-timeout, --max-sessions apply only with --http"),
        "{stderr}"
    );
}

/// One HTTP/1.1 request with a JSON body; (status, body).
fn send_json(base: &str, path: &str, authorization: Option<&str>, body: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Registers a confidential client and asks for a token living `expires_in` seconds; the
/// token endpoint's status and body.
fn short_token(extra: &[&str], expires_in: u64) -> (u16, String) {
    let token = "short-lifetimes-admin";
    let mut args = vec!["--admin-token", token];
    args.extend_from_slice(extra);
    let served = serve(&args);
    let admin = format!(
        "Basic {}",
        base64_encode(format!("admin@example.com/token:{token}").as_bytes())
    );
    let (status, made) = send_json(
        &served.base,
        "/api/v2/oauth/clients.json",
        Some(&admin),
        r#"{"client": {"name": "Backend", "identifier": "backend", "kind": "confidential"}}"#,
    );
    assert_eq!(status, 201, "{made}");
    let secret = made
        .split("\"secret\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the secret, shown once")
        .to_string();
    send_json(
        &served.base,
        "/oauth/tokens",
        None,
        &format!(
            r#"{{"grant_type": "client_credentials", "client_id": "backend", "client_secret": "{secret}", "scope": "read", "expires_in": {expires_in}}}"#
        ),
    )
}

#[test]
fn short_oauth_lifetimes_are_accepted_only_when_asked_for() {
    let (status, body) = short_token(&["--oauth-short-lifetimes"], 2);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"expires_in\":2"), "{body}");
    let (status, body) = short_token(&[], 2);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("invalid_request") && body.contains("300"),
        "{body}"
    );
}
