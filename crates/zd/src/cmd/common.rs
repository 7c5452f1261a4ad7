//! What every tool-calling subcommand shares: opening a session (the configured Zendesk, or
//! the embedded sandbox), calling a tool and reporting its failure, progress bars for jobs
//! and paging on stderr, JSON and table printing, and the exit codes (0 ok, 1 the tool
//! failed, 2 usage).

use std::process::ExitCode;
use std::sync::Arc;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use zendesk_sandbox::RunningSandbox;
use zendesk_tools::{CallContext, Connection, Progress, ProgressFn, registry};

use crate::embedded;

/// The help of a flag with a closed set of values, listing them from their one definition in
/// `zendesk_types`. The tools check the value (a typo fails naming the choices, exit code 1).
pub fn choices(what: &str, values: &[&str]) -> String {
    format!("{what}: {}", values.join(", "))
}

pub fn usage_error(message: &str) -> ExitCode {
    eprintln!("zd: {message}");
    ExitCode::from(2)
}

pub fn print_json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("zd: cannot print the result: {error}"),
    }
}

/// The operator's attachments directory, checked: it must be a directory (it is kept
/// canonical, so a model's file names are judged against where it really is).
pub fn attachments_dir(
    dir: Option<&std::path::Path>,
) -> Result<Option<std::path::PathBuf>, String> {
    let Some(dir) = dir else { return Ok(None) };
    let real = dir
        .canonicalize()
        .map_err(|error| format!("--attachments-dir {}: {error}", dir.display()))?;
    if !real.is_dir() {
        return Err(format!(
            "--attachments-dir {} is not a directory",
            dir.display()
        ));
    }
    Ok(Some(real))
}

/// Uploads the operator's files (`--attach`) as one upload; its token, for `uploadTokens`.
/// The operator may name any file: each is uploaded from its own directory.
pub async fn upload_files(session: &Session, files: &[String]) -> Result<Option<String>, ExitCode> {
    let mut token: Option<String> = None;
    for file in files {
        let path = std::path::Path::new(file);
        let real = path
            .canonicalize()
            .map_err(|error| usage_error(&format!("--attach {file}: {error}")))?;
        if !real.is_file() {
            return Err(usage_error(&format!("--attach {file}: not a file")));
        }
        let (Some(dir), Some(name)) = (real.parent(), real.file_name()) else {
            return Err(usage_error(&format!("--attach {file}: not a file")));
        };
        let mut args = serde_json::Map::new();
        args.insert(
            "fileName".into(),
            Value::String(name.to_string_lossy().into_owned()),
        );
        if let Some(token) = &token {
            args.insert("uploadToken".into(), Value::String(token.clone()));
        }
        let Some(tool) = registry().get("zendesk_upload_attachment") else {
            eprintln!("zd: internal error: no tool zendesk_upload_attachment");
            return Err(ExitCode::from(1));
        };
        let ctx = CallContext {
            attachments_dir: Some(dir.to_path_buf()),
            ..session.context()
        };
        let result = tool.call(Value::Object(args), &ctx).await;
        if !result.success {
            eprintln!(
                "zd: --attach {file}: {}",
                result.error.as_deref().unwrap_or("the upload failed")
            );
            return Err(ExitCode::from(1));
        }
        token = result.output["token"].as_str().map(str::to_owned);
    }
    Ok(token)
}

/// A connection for the life of one command, with the embedded sandbox when it was needed.
pub struct Session {
    connection: Connection,
    sandbox: Option<RunningSandbox>,
}

impl Session {
    /// Uses the configured Zendesk; without one (and when `allow_embedded`), the embedded
    /// sandbox. Failing to start it is reported and gives exit code 1.
    pub async fn open(allow_embedded: bool) -> Result<Session, ExitCode> {
        if !allow_embedded {
            return Ok(Session {
                connection: Connection::from_env(),
                sandbox: None,
            });
        }
        match embedded::resolve().await {
            Ok((connection, sandbox)) => Ok(Session {
                connection,
                sandbox,
            }),
            Err(error) => {
                eprintln!("zd: {error:#}");
                Err(ExitCode::from(1))
            }
        }
    }

    /// Where this session's calls go and as whom (for the typed client of `cmd::client`).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub fn context(&self) -> CallContext {
        CallContext::with_connection(self.connection.clone())
    }

    /// Calls a tool; on failure prints the tool's message on stderr and gives exit code 1.
    pub async fn call(&self, tool: &str, args: Value) -> Result<Value, ExitCode> {
        self.call_with(tool, args, None).await
    }

    pub async fn call_with(
        &self,
        tool: &str,
        args: Value,
        progress: Option<ProgressFn>,
    ) -> Result<Value, ExitCode> {
        let Some(tool) = registry().get(tool) else {
            eprintln!("zd: internal error: no tool {tool}");
            return Err(ExitCode::from(1));
        };
        let ctx = CallContext {
            progress,
            ..self.context()
        };
        let result = tool.call(args, &ctx).await;
        if result.success {
            Ok(result.output)
        } else {
            eprintln!(
                "zd: {}",
                result.error.as_deref().unwrap_or("the call failed")
            );
            Err(ExitCode::from(1))
        }
    }

    /// Stops the embedded sandbox after it has finished its queued jobs.
    pub async fn close(self) {
        embedded::finish(self.sandbox).await;
    }
}

/// A progress bar on stderr for a job being followed; shown only once a report arrives.
pub struct JobProgress {
    bar: ProgressBar,
}

impl JobProgress {
    pub fn new() -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        JobProgress { bar }
    }

    pub fn callback(&self) -> ProgressFn {
        let bar = self.bar.clone();
        Arc::new(move |report: Progress| {
            if bar.is_hidden() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            if let Some(total) = report.total {
                bar.set_length(total as u64);
            }
            bar.set_position(report.progress as u64);
            if let Some(message) = report.message {
                bar.set_message(message);
            }
        })
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner on stderr counting records while `--all` pages through a list.
pub fn paging_spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(format!("fetching {what}..."));
    bar
}

/// A JSON value as table text: strings bare, null empty.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Cuts `text` to `max` characters, marking the cut.
pub fn clip(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Prints rows under a header, columns padded to their widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Prints `key: value` lines for the given fields of a record.
pub fn print_record(record: &Value, fields: &[&str]) {
    let width = fields.iter().map(|f| f.len()).max().unwrap_or(0);
    for field in fields {
        let value = cell(&record[*field]);
        if !value.is_empty() {
            println!("{field:width$}  {value}");
        }
    }
}

/// One page of a list tool, or every page with `all` (a spinner on stderr counts them), walked
/// by the client's pager through `Tool::pages` (it stops on Zendesk's last page and refuses a
/// cursor sent twice instead of looping). Returns the items and whether more remain unfetched.
pub async fn fetch_list(
    session: &Session,
    tool: &str,
    args: serde_json::Map<String, Value>,
    key: &str,
    all: bool,
) -> Result<(Vec<Value>, bool), ExitCode> {
    let Some(tool) = registry().get(tool) else {
        eprintln!("zd: internal error: no tool {tool}");
        return Err(ExitCode::from(1));
    };
    let spinner = all.then(|| paging_spinner(key));
    let mut pages = std::pin::pin!(tool.pages(Value::Object(args), &session.context()));
    let mut items = Vec::new();
    let mut has_more = false;
    let mut failed = None;
    while let Some(page) = pages.next().await {
        if !page.success {
            failed = Some(page.error.unwrap_or_else(|| "the call failed".to_owned()));
            break;
        }
        if let Some(records) = page.output.get(key).and_then(Value::as_array) {
            items.extend(records.iter().cloned());
        }
        has_more = page.output["paging"]["has_more"].as_bool().unwrap_or(false);
        if let Some(spinner) = &spinner {
            spinner.set_message(format!("fetched {} {key}", items.len()));
            spinner.tick();
        }
        if !all {
            break;
        }
    }
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    match failed {
        Some(error) => {
            eprintln!("zd: {error}");
            Err(ExitCode::from(1))
        }
        None => Ok((items, has_more)),
    }
}

/// Adds `name: value` to a tool's arguments when the option was given.
pub fn put(args: &mut serde_json::Map<String, Value>, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        args.insert(name.to_owned(), Value::String(value.clone()));
    }
}

/// Prints a list as `{key: [...], metadata}` for `--json`, or hands it to `table`.
pub fn print_list(
    key: &str,
    items: &[Value],
    has_more: bool,
    json: bool,
    table: impl Fn(&[Value]),
) {
    if json {
        let mut out = serde_json::Map::new();
        out.insert(key.to_owned(), Value::Array(items.to_vec()));
        out.insert(
            "metadata".into(),
            serde_json::json!({ "total_returned": items.len(), "has_more": has_more }),
        );
        print_json(&Value::Object(out));
        return;
    }
    if items.is_empty() {
        println!("No {key}.");
        return;
    }
    table(items);
    if has_more {
        eprintln!("(more {key} exist: use --all to fetch every page)");
    }
}

/// Prints one page of an offset-paged tool (search, autocomplete): the tool's whole output for
/// `--json` (its `paging.next_page` says where the next page is), or a table and a hint on
/// stderr when more pages exist.
pub fn print_page(key: &str, output: &Value, json: bool, table: impl Fn(&[Value])) {
    if json {
        print_json(output);
        return;
    }
    let items = output
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        println!("No {key}.");
        return;
    }
    table(items);
    if output["paging"]["has_more"].as_bool().unwrap_or(false) {
        eprintln!("(more {key} exist: use --page to fetch the next page)");
    }
}

/// Refuses an update that names no field to change, listing the flags it takes (exit code 2).
pub fn require_change(args: &serde_json::Map<String, Value>, flags: &str) -> Result<(), ExitCode> {
    if args.is_empty() {
        Err(usage_error(&format!(
            "nothing to update: give at least one of {flags}"
        )))
    } else {
        Ok(())
    }
}
