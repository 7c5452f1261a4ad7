//! `zd export tickets|users|organizations|ticket-events`: Zendesk's incremental exports as
//! NDJSON on stdout (one record per line, as Zendesk sent it), progress on stderr.
//!
//! With `--state FILE` the position to resume from is saved after each page has been written
//! and flushed (written to a temporary file, synced, renamed over FILE), and the next run
//! starts there: a cron job gets only what changed since its last run; a run that dies loses
//! nothing and repeats at most the page it was writing. `--since` applies only while FILE does
//! not exist yet.
//!
//! Cursor-based exports (tickets and users, the default for them) never repeat a record.
//! Time-based ones (organizations, ticket events, or `--time-based`) repeat records that share
//! a second across a page boundary, and the last record of a run at the start of the next: drop
//! repeats by `id` and `updated_at` (`id` and `timestamp` for ticket events).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zendesk::{ExportPosition, ExportResource, ExportStyle};
use zendesk_types::incremental::{MAX_PAGE_SIZE, MIN_START_TIME_AGE_SECS};

use crate::cmd::client::{self, failed};
use crate::cmd::common::{self, Session, usage_error};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Resource {
    Tickets,
    Users,
    Organizations,
    TicketEvents,
}

impl From<Resource> for ExportResource {
    fn from(resource: Resource) -> Self {
        match resource {
            Resource::Tickets => ExportResource::Tickets,
            Resource::Users => ExportResource::Users,
            Resource::Organizations => ExportResource::Organizations,
            Resource::TicketEvents => ExportResource::TicketEvents,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// What to export.
    #[arg(value_enum)]
    resource: Resource,
    /// Where to start when there is no saved position: Unix seconds, an ISO 8601 time
    /// (2024-05-01T00:00:00Z), a date (2024-05-01) or an age (90m, 36h, 7d); at least a minute
    /// ago [default: the beginning].
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Resume from the position saved in FILE, and save it there after each page written.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Cursor-based export: no repeats (tickets and users; their default).
    #[arg(long, conflicts_with = "time_based")]
    cursor: bool,
    /// Time-based export (the only kind for organizations and ticket events): records can come
    /// twice; drop repeats by id and updated_at.
    #[arg(long)]
    time_based: bool,
    /// Records per request, 1 to 1000 [default: 1000].
    #[arg(long, value_name = "N")]
    per_page: Option<u32>,
    /// Side-load related records (`users`, `comment_events` for ticket events...); their lines
    /// are not written, only the exported records.
    #[arg(long, value_name = "NAME")]
    include: Option<String>,
    /// Leave deleted records out (Zendesk includes them).
    #[arg(long)]
    exclude_deleted: bool,
}

/// What `--state` keeps: which export, and where the next run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedState {
    export: String,
    style: ExportStyle,
    position: ExportPosition,
    saved_at: String,
}

pub async fn run(args: Args) -> ExitCode {
    let resource = ExportResource::from(args.resource);
    let style = match style(resource, &args) {
        Ok(style) => style,
        Err(code) => return code,
    };
    if let Some(per_page) = args.per_page
        && !(1..=MAX_PAGE_SIZE).contains(&per_page)
    {
        return usage_error(&format!(
            "--per-page must be between 1 and {MAX_PAGE_SIZE}, got {per_page}"
        ));
    }
    let now = unix_now();
    let saved = match &args.state {
        Some(path) => match load_state(path, resource, style) {
            Ok(saved) => saved,
            Err(code) => return code,
        },
        None => None,
    };
    let from = match (&saved, &args.since) {
        (Some(saved), _) => saved.position.clone(),
        (None, Some(since)) => match parse_since(since, now) {
            Ok(start) => ExportPosition::StartTime(start),
            Err(message) => return usage_error(&format!("--since: {message}")),
        },
        (None, None) => ExportPosition::StartTime(0),
    };
    if let ExportPosition::StartTime(start) = from
        && start > now - MIN_START_TIME_AGE_SECS
    {
        if saved.is_some() {
            eprintln!(
                "zd: nothing to export yet: the saved position is less than a minute old, and \
                 Zendesk exports only changes at least a minute old"
            );
            return ExitCode::SUCCESS;
        }
        return usage_error(
            "--since must be at least a minute ago: Zendesk exports only changes at least a \
             minute old",
        );
    }
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = match client::client(&session) {
        Ok(client) => export(&client, resource, style, from, &args).await,
        Err(code) => Err(code),
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

fn style(resource: ExportResource, args: &Args) -> Result<ExportStyle, ExitCode> {
    if args.cursor && !resource.supports_cursor() {
        return Err(usage_error(&format!(
            "--cursor: Zendesk exports {} only time-based; leave out --cursor",
            resource.name()
        )));
    }
    Ok(if args.time_based || !resource.supports_cursor() {
        ExportStyle::Time
    } else {
        ExportStyle::Cursor
    })
}

fn style_name(style: ExportStyle) -> &'static str {
    match style {
        ExportStyle::Cursor => "cursor-based",
        ExportStyle::Time => "time-based",
    }
}

async fn export(
    client: &zendesk::Client,
    resource: ExportResource,
    style: ExportStyle,
    from: ExportPosition,
    args: &Args,
) -> Result<(), ExitCode> {
    let mut export = client.incremental().export(resource, style, from);
    if let Some(per_page) = args.per_page {
        export = export.per_page(per_page);
    }
    if let Some(include) = &args.include {
        export = export.include(include);
    }
    if args.exclude_deleted {
        export = export.exclude_deleted();
    }
    let mut pages = export.pages();
    let spinner = common::paging_spinner(resource.name());
    let mut written: u64 = 0;
    let mut count = 0;
    loop {
        let page = match pages.next_page().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => {
                spinner.finish_and_clear();
                let code = failed(error);
                if let (Some(path), true) = (&args.state, count > 0) {
                    eprintln!(
                        "zd: {} keeps the position after the last page written; run again to resume",
                        path.display()
                    );
                }
                return Err(code);
            }
        };
        if let Err(error) = write_page(&page.items) {
            spinner.finish_and_clear();
            eprintln!(
                "zd: cannot write to stdout ({error}); the position stays after the last page written"
            );
            return Err(ExitCode::from(1));
        }
        written += page.items.len() as u64;
        count += 1;
        if let Some(path) = &args.state {
            let state = SavedState {
                export: resource.name().to_owned(),
                style,
                position: pages.position().clone(),
                saved_at: zendesk::webhooks::timestamp_header(unix_now()),
            };
            if let Err(error) = save_state(path, &state) {
                spinner.finish_and_clear();
                eprintln!(
                    "zd: cannot save the position to {}: {error}",
                    path.display()
                );
                return Err(ExitCode::from(1));
            }
        }
        spinner.set_message(format!(
            "exported {written} {} ({count} pages)",
            resource.name()
        ));
        spinner.tick();
    }
    spinner.finish_and_clear();
    let resume = match &args.state {
        Some(path) => format!("; the next run resumes from {}", path.display()),
        None => String::new(),
    };
    eprintln!(
        "zd: exported {written} {} ({}, {count} page{}){resume}",
        resource.name(),
        style_name(style),
        if count == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Writes one page as NDJSON and makes it durable: flushed, and synced when stdout is a file.
fn write_page(items: &[Value]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for item in items {
        serde_json::to_writer(&mut out, item)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    drop(out);
    sync_stdout();
    Ok(())
}

/// `fsync` on stdout when it is a regular file (`zd export ... >> tickets.ndjson`), so a saved
/// position never runs ahead of the records on disk. Pipes and terminals have nothing to sync.
#[cfg(unix)]
fn sync_stdout() {
    use std::os::fd::AsFd;
    if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
        let file = std::fs::File::from(fd);
        if file.metadata().is_ok_and(|m| m.is_file()) {
            let _ = file.sync_data();
        }
    }
}

#[cfg(not(unix))]
fn sync_stdout() {}

/// The saved state, when FILE exists; it must be for this export.
fn load_state(
    path: &Path,
    resource: ExportResource,
    style: ExportStyle,
) -> Result<Option<SavedState>, ExitCode> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            eprintln!("zd: --state {}: {error}", path.display());
            return Err(ExitCode::from(1));
        }
    };
    let saved: SavedState = serde_json::from_str(&text).map_err(|error| {
        eprintln!(
            "zd: --state {} is not a zd export state ({error}); move it away to start over",
            path.display()
        );
        ExitCode::from(1)
    })?;
    if saved.export != resource.name() || saved.style != style {
        return Err(usage_error(&format!(
            "--state {} holds the position of a {} export of {}, not of a {} export of {}: give \
             each export its own state file",
            path.display(),
            style_name(saved.style),
            saved.export,
            style_name(style),
            resource.name()
        )));
    }
    Ok(Some(saved))
}

/// Replaces FILE atomically: a temporary file beside it, synced, renamed over it, and the
/// directory synced, so a crash leaves the old state or the new one, never half of one.
fn save_state(path: &Path, state: &SavedState) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut text = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    text.push(b'\n');
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&text)?;
        file.sync_all()?;
    }
    if let Err(error) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// `--since`: Unix seconds, an ISO 8601 time, a date (midnight UTC) or an age before `now`.
fn parse_since(raw: &str, now: i64) -> Result<i64, String> {
    let text = raw.trim();
    let expected = || {
        format!(
            "expected Unix seconds (1714521600), an ISO 8601 time (2024-05-01T00:00:00Z), a \
             date (2024-05-01) or an age (90m, 36h, 7d), got {raw:?}"
        )
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().map_err(|_| expected());
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at.unix_timestamp());
    }
    if let Ok(at) = OffsetDateTime::parse(&format!("{text}T00:00:00Z"), &Rfc3339) {
        return Ok(at.unix_timestamp());
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| expected())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(expected()),
    };
    number
        .checked_mul(seconds)
        .map(|age| now - age)
        .filter(|start| *start >= 0)
        .ok_or_else(expected)
}

fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_dates_and_ages() {
        let now = 1_714_521_600 + 86_400;
        assert_eq!(parse_since("1714521600", now), Ok(1_714_521_600));
        assert_eq!(parse_since("2024-05-01T00:00:00Z", now), Ok(1_714_521_600));
        assert_eq!(parse_since("2024-05-01", now), Ok(1_714_521_600));
        assert_eq!(parse_since("1d", now), Ok(1_714_521_600));
        assert_eq!(parse_since("90m", now), Ok(now - 5400));
        for bad in ["yesterday", "5y", "-3h", "", "2024-13-01"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_state_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tickets.state");
        let first = SavedState {
            export: "tickets".into(),
            style: ExportStyle::Cursor,
            position: ExportPosition::Cursor("c1".into()),
            saved_at: "2024-05-01T00:00:00Z".into(),
        };
        save_state(&path, &first).unwrap();
        let second = SavedState {
            position: ExportPosition::Cursor("c2".into()),
            ..first.clone()
        };
        save_state(&path, &second).unwrap();
        let loaded = load_state(&path, ExportResource::Tickets, ExportStyle::Cursor).unwrap();
        assert_eq!(loaded, Some(second));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        assert!(load_state(&path, ExportResource::Users, ExportStyle::Cursor).is_err());
        assert_eq!(
            load_state(
                &dir.path().join("absent"),
                ExportResource::Tickets,
                ExportStyle::Cursor
            )
            .unwrap(),
            None
        );
    }
}
