//! Decodes every response body of the real Zendesk recordings (betamax files beside the repo)
//! into this crate's types and re-encodes it, asserting that no key and no value Zendesk sent is
//! lost or changed. Error bodies are decoded too. A body that fails names its file, interaction
//! and JSON path.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use zendesk_types::{
    Audit, CursorPage, ErrorBody, Group, GroupMembership, JobStatus, OffsetPage, Organization,
    OrganizationField, Page, SearchResult, Single, Ticket, TicketAndAudit, TicketField, User,
};

/// The recordings, or `None` (the test is skipped, saying so) when they are not beside the
/// repository.
fn recordings_dir() -> Option<PathBuf> {
    zendesk_types::shared::path(
        env!("CARGO_MANIFEST_DIR"),
        "reference/zendesk-recordings",
        "decoding every recorded Zendesk body (zendesk-types recordings)",
    )
}

/// The text of a betamax body: `string`, or gzip (or plain) bytes in `base64_string`.
fn body_text(body: &Value) -> Result<String, String> {
    if let Some(s) = body.get("string").and_then(Value::as_str)
        && !s.is_empty()
    {
        return Ok(s.to_owned());
    }
    let Some(b64) = body.get("base64_string").and_then(Value::as_str) else {
        return Ok(String::new());
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("base64: {e}"))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut out)
            .map_err(|e| format!("gzip: {e}"))?;
        Ok(out)
    } else {
        String::from_utf8(raw).map_err(|e| format!("utf-8: {e}"))
    }
}

/// Walks `original` and `reencoded` together and lists every difference: a key dropped, a key
/// added, a value changed.
fn diff(path: &str, original: &Value, reencoded: &Value, out: &mut Vec<String>) {
    match (original, reencoded) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) => diff(&format!("{path}.{k}"), va, vb, out),
                    None => out.push(format!("{path}.{k}: dropped (was {va})")),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: added ({vb})"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!("{path}: list of {} became {}", a.len(), b.len()));
            }
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if original == reencoded => {}
        _ => out.push(format!("{path}: {original} became {reencoded}")),
    }
}

/// Decodes `text` as `T` and re-encodes it; returns the failure or the differences.
fn round_trip<T: DeserializeOwned + Serialize>(text: &str, original: &Value) -> Result<(), String> {
    let decoded: T = zendesk_types::from_slice(text.as_bytes()).map_err(|e| e.to_string())?;
    let reencoded = serde_json::to_value(&decoded).map_err(|e| format!("re-encode: {e}"))?;
    let mut diffs = Vec::new();
    diff("", original, &reencoded, &mut diffs);
    if diffs.is_empty() {
        Ok(())
    } else {
        diffs.truncate(10);
        Err(format!(
            "re-encoding differs:\n    {}",
            diffs.join("\n    ")
        ))
    }
}

/// Picks the envelope type from the top-level keys; `None` for bodies this crate does not
/// model (custom roles, tags, brands...).
fn check_body(text: &str, value: &Value) -> Option<(&'static str, Result<(), String>)> {
    let obj = value.as_object()?;
    let has = |k: &str| obj.contains_key(k);
    let cursor = has("meta");
    let r = if has("ticket") {
        ("ticket", round_trip::<TicketAndAudit>(text, value))
    } else if has("tickets") {
        let r = if cursor {
            round_trip::<CursorPage<Ticket>>(text, value)
        } else {
            round_trip::<OffsetPage<Ticket>>(text, value)
        };
        ("tickets", r)
    } else if has("user") {
        ("user", round_trip::<Single<User>>(text, value))
    } else if has("users") {
        ("users", round_trip::<Page<User>>(text, value))
    } else if has("organization") {
        (
            "organization",
            round_trip::<Single<Organization>>(text, value),
        )
    } else if has("organizations") {
        (
            "organizations",
            round_trip::<Page<Organization>>(text, value),
        )
    } else if has("organization_field") {
        (
            "organization_field",
            round_trip::<Single<OrganizationField>>(text, value),
        )
    } else if has("organization_fields") {
        (
            "organization_fields",
            round_trip::<Page<OrganizationField>>(text, value),
        )
    } else if has("group") {
        ("group", round_trip::<Single<Group>>(text, value))
    } else if has("groups") {
        ("groups", round_trip::<Page<Group>>(text, value))
    } else if has("job_status") {
        ("job_status", round_trip::<Single<JobStatus>>(text, value))
    } else if has("job_statuses") {
        ("job_statuses", round_trip::<Page<JobStatus>>(text, value))
    } else if has("results") {
        let r = if cursor {
            round_trip::<CursorPage<SearchResult>>(text, value)
        } else {
            round_trip::<OffsetPage<SearchResult>>(text, value)
        };
        ("search results", r)
    } else if has("audits") {
        ("audits", round_trip::<Page<Audit>>(text, value))
    } else if has("ticket_field") {
        (
            "ticket_field",
            round_trip::<Single<TicketField>>(text, value),
        )
    } else if has("ticket_fields") {
        (
            "ticket_fields",
            round_trip::<Page<TicketField>>(text, value),
        )
    } else if has("group_memberships") {
        (
            "group_memberships",
            round_trip::<Page<GroupMembership>>(text, value),
        )
    } else if has("error") || has("errors") {
        ("error", check_error(text, value))
    } else {
        return None;
    };
    Some(r)
}

/// An error body must classify as a JSON shape (not fall back to text), carry a code and a
/// message, and re-encode to what was sent.
fn check_error(text: &str, value: &Value) -> Result<(), String> {
    let body = ErrorBody::parse(text.as_bytes());
    if matches!(body, ErrorBody::Text(_)) {
        return Err(format!("error body not recognised: {text}"));
    }
    if body.message().is_empty() {
        return Err("empty message".to_owned());
    }
    let reencoded = serde_json::to_value(&body).map_err(|e| e.to_string())?;
    let mut diffs = Vec::new();
    diff("", value, &reencoded, &mut diffs);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

#[test]
fn every_recorded_body_decodes_and_re_encodes_without_loss() {
    let Some(dir) = recordings_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no recordings in {}", dir.display());

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut not_modelled = 0usize;
    let mut non_json = 0usize;
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let recording: Value =
            serde_json::from_slice(&std::fs::read(file).unwrap_or_else(|e| panic!("{name}: {e}")))
                .unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        let interactions = recording["http_interactions"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no http_interactions"));
        for (i, interaction) in interactions.iter().enumerate() {
            let response = &interaction["response"];
            let status = response["status"]["code"].as_u64().unwrap_or(0);
            let text = match body_text(&response["body"]) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{name} #{i}: body: {e}"));
                    continue;
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                non_json += 1;
                if status >= 400 {
                    // A plain-text error body: it must still give a message.
                    let body = ErrorBody::parse(text.as_bytes());
                    assert!(!body.message().is_empty(), "{name} #{i}: empty message");
                    *counts.entry("error (text)").or_default() += 1;
                }
                continue;
            };
            match check_body(&text, &value) {
                Some((kind, Ok(()))) => *counts.entry(kind).or_default() += 1,
                Some((kind, Err(e))) => {
                    failures.push(format!("{name} #{i} ({kind}, HTTP {status}): {e}"))
                }
                None => not_modelled += 1,
            }
        }
    }

    println!("recordings: {} files", files.len());
    for (kind, n) in &counts {
        println!("  decoded and re-encoded losslessly: {n:5} {kind}");
    }
    println!("  bodies of kinds not modelled here: {not_modelled:5}");
    println!("  non-JSON bodies:                   {non_json:5}");
    assert!(
        failures.is_empty(),
        "{} bodies failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The recordings hold every kind the tools touch; a kind decoding nothing means the
    // detection above broke, not that all is well.
    for kind in [
        "ticket",
        "tickets",
        "user",
        "users",
        "organizations",
        "organization_field",
        "groups",
        "job_status",
        "search results",
        "audits",
        "ticket_field",
        "group_memberships",
        "error",
    ] {
        assert!(
            counts.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} body decoded"
        );
    }
}
