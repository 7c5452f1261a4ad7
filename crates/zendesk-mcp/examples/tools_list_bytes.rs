//! The bytes of the tool list a model's client loads: spawns `zd mcp` with each selection (all
//! tools, `--read-only`, each `--toolsets` set), reads its `tools/list` answer over stdio as any
//! client does, and prints a Markdown table of tools and bytes on the wire (the JSON-RPC line).
//!
//! ```text
//! cargo build --release -p zd && \
//!   cargo run --release -p zendesk-mcp --example tools_list_bytes -- target/release/zd
//! ```
//!
//! The servers run against a throwaway embedded sandbox (the list does not depend on it).

use std::process::Stdio;

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};

/// `(tools, bytes)` of `zd mcp <flags>`'s `tools/list` answer.
async fn measure(zd: &str, flags: &[&str], db: &std::path::Path) -> Result<(usize, usize), String> {
    let mut command = Command::new(zd);
    command
        .arg("mcp")
        .args(flags)
        .env("ZD_SANDBOX_DB", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for var in [
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_BASE_URL",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
        "ZENDESK_OAUTH_TOKEN",
    ] {
        command.env_remove(var);
    }
    let mut child = command.spawn().map_err(|e| format!("start {zd}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "tools_list_bytes", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ];
    for message in messages {
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    loop {
        let line = lines
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("zd mcp closed stdout before answering tools/list")?;
        let message: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        if message["id"] == json!(2) {
            let tools = message["result"]["tools"]
                .as_array()
                .ok_or_else(|| format!("not a tool list: {line}"))?
                .len();
            // The line as sent, with its newline.
            return Ok((tools, line.len() + 1));
        }
    }
}

#[tokio::main]
async fn main() {
    let Some(zd) = std::env::args().nth(1) else {
        eprintln!("usage: tools_list_bytes PATH_TO_ZD");
        std::process::exit(2);
    };
    let dir = std::env::temp_dir().join(format!("zd-tools-list-bytes-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {error}", dir.display());
        std::process::exit(1);
    }
    let db = dir.join("sandbox.db");
    let mut selections: Vec<(String, Vec<String>)> = vec![
        ("all (default)".into(), vec![]),
        ("`--read-only`".into(), vec!["--read-only".into()]),
    ];
    for set in zendesk_tools::registry().toolsets() {
        selections.push((
            format!("`--toolsets {}`", set.name),
            vec!["--toolsets".into(), set.name.into()],
        ));
    }
    println!("| selection | tools | bytes |\n|---|---:|---:|");
    let mut failed = false;
    for (name, flags) in &selections {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        match measure(&zd, &flags, &db).await {
            Ok((tools, bytes)) => println!("| {name} | {tools} | {bytes} |"),
            Err(error) => {
                eprintln!("{name}: {error}");
                failed = true;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failed {
        std::process::exit(1);
    }
}
