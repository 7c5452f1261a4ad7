//! `zd mcp` start-up checks, run as a user would: refusals come at once, with exit code 2 and a
//! message saying what to change; nothing is served and no sandbox is started.

use std::process::{Command, Output, Stdio};

const ZD: &str = env!("CARGO_BIN_EXE_zd");

fn zd_mcp(args: &[&str]) -> Output {
    let mut command = Command::new(ZD);
    command
        .arg("mcp")
        .args(args)
        .stdin(Stdio::null())
        .env_remove("ZD_MCP_AUTH_TOKEN")
        // Should anything get as far as the embedded sandbox, keep it out of the user's home.
        .env(
            "ZD_SANDBOX_DB",
            std::env::temp_dir().join(format!("zd-mcp-cli-{}.db", std::process::id())),
        );
    command.output().expect("run zd mcp")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unknown_tool_names_are_refused_with_the_valid_ones() {
    let output = zd_mcp(&["--tools", "zendesk_get_ticket,zendesk_frobnicate"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("zendesk_frobnicate"), "{message}");
    assert!(message.contains("Valid tool names"), "{message}");
    assert!(message.contains("zendesk_search_count"), "{message}");
    assert!(output.stdout.is_empty(), "nothing on the protocol channel");
}

#[test]
fn a_writer_in_read_only_mode_is_refused() {
    let output = zd_mcp(&[
        "--read-only",
        "--tools",
        "zendesk_get_ticket,zendesk_delete_ticket",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("zendesk_delete_ticket"), "{message}");
    assert!(message.contains("--read-only"), "{message}");
}

#[test]
fn http_without_a_token_is_refused() {
    let output = zd_mcp(&["--http", "127.0.0.1:0"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--auth-token"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_malformed_http_address_is_refused() {
    let output = zd_mcp(&["--http", "localhost", "--auth-token", "t0ken"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("HOST:PORT"), "{message}");
    assert!(
        !message.contains("t0ken"),
        "the token is never echoed: {message}"
    );
}

#[test]
fn allowed_hosts_need_http() {
    let output = zd_mcp(&["--allowed-host", "mcp.example.com"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--http"), "{}", stderr(&output));
}

#[test]
fn stdio_carries_only_protocol_messages_and_ends_with_the_input() {
    use std::io::{BufRead, BufReader, Write};

    /// Removes the test's sandbox directory however the test ends.
    struct Scratch(std::path::PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let scratch =
        Scratch(std::env::temp_dir().join(format!("zd-mcp-stdio-{}", std::process::id())));
    let dir = &scratch.0;
    std::fs::create_dir_all(dir).expect("temp dir");
    let mut command = Command::new(ZD);
    command
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("ZD_SANDBOX_DB", dir.join("sandbox.db"))
        .env("ZD_LOG", "debug");
    for var in ["ZENDESK_SUBDOMAIN", "ZENDESK_BASE_URL"] {
        command.env_remove(var);
    }
    let mut child = command.spawn().expect("start zd mcp");
    let requests = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cli-test","version":"0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"zendesk_get_current_user","arguments":{}}}"#,
    ];
    let mut stdin = child.stdin.take().expect("stdin");
    for request in requests {
        writeln!(stdin, "{request}").expect("write a request");
    }
    // Every stdout line, read on a thread so a silent server fails the test instead of hanging.
    let stdout = child.stdout.take().expect("stdout");
    let (sender, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    // Drained as it comes: debug logs would otherwise fill the pipe and stall the server.
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut text);
        text
    });
    let mut messages: Vec<serde_json::Value> = Vec::new();
    while !messages.iter().any(|m| m["id"] == 3) {
        let Ok(line) = lines.recv_timeout(std::time::Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no answer to every request within 60 s; got {messages:?}");
        };
        let message = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("a non-protocol line on stdout: {line:?}"));
        messages.push(message);
    }
    // The input ends: the server must exit on its own, cleanly.
    drop(stdin);
    let status = child.wait().expect("zd mcp exits after its input ends");
    let logs = logs.join().unwrap_or_default();
    assert!(status.success(), "{logs}");
    for line in lines.try_iter() {
        assert!(
            serde_json::from_str::<serde_json::Value>(&line).is_ok(),
            "a non-protocol line on stdout: {line:?}"
        );
    }
    assert!(
        messages.iter().all(|m| m["jsonrpc"] == "2.0"),
        "{messages:?}"
    );
    let answer = |id: u64| {
        messages
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer to request {id}: {messages:?}"))
    };
    assert_eq!(answer(1)["result"]["serverInfo"]["name"], "zd");
    assert!(
        answer(2)["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    let call = &answer(3)["result"];
    assert_eq!(call["isError"], false, "{call}");
    assert!(call["structuredContent"]["user_id"].is_number(), "{call}");
    // Logs (debug level here) and the sandbox notice went to stderr.
    assert!(logs.contains("sandbox"), "{logs}");
}

#[test]
fn a_short_token_beyond_loopback_is_refused_at_once_without_echoing_it() {
    let output = zd_mcp(&["--http", "0.0.0.0:0", "--auth-token", "short-but-secret"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("at least 32"), "{message}");
    assert!(!message.contains("short-but-secret"), "{message}");
    assert!(!message.contains("sandbox"), "nothing started: {message}");
}

#[test]
fn tls_needs_both_files_and_http() {
    let cert = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zendesk-mcp/tests/tls/server.crt"
    );
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zendesk-mcp/tests/tls/server.key"
    );
    let output = zd_mcp(&[
        "--http",
        "127.0.0.1:0",
        "--auth-token",
        "t",
        "--tls-cert",
        cert,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--tls-key"), "{}", stderr(&output));
    let output = zd_mcp(&["--tls-cert", cert, "--tls-key", key]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--http"), "{}", stderr(&output));
    // The key where the certificate belongs: refused naming the file, before anything starts.
    let output = zd_mcp(&[
        "--http",
        "127.0.0.1:0",
        "--auth-token",
        "t",
        "--tls-cert",
        key,
        "--tls-key",
        key,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("server.key"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plain_http_beyond_loopback_serves_with_a_warning() {
    use std::io::{BufRead, BufReader};

    let dir = std::env::temp_dir().join(format!("zd-mcp-plain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut child = Command::new(ZD)
        .args(["mcp", "--http", "0.0.0.0:0"])
        .env("ZD_MCP_AUTH_TOKEN", "0123456789abcdef0123456789abcdef")
        .env("ZD_SANDBOX_DB", dir.join("sandbox.db"))
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start zd mcp");
    let stderr_pipe = child.stderr.take().expect("stderr");
    let (sender, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("streamable HTTP at"))
    {
        match lines.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let logs = seen.join("\n");
    assert!(logs.contains("streamable HTTP at"), "it serves: {logs}");
    assert!(logs.contains("http://0.0.0.0:"), "{logs}");
    assert!(
        logs.contains("plain HTTP beyond loopback") && logs.contains("--tls-cert"),
        "{logs}"
    );
}
