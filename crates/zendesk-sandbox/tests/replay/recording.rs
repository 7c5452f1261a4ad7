//! Reading betamax recordings (zenpy's test cassettes): the interactions of one file, with their
//! bodies decoded (`body.string`, or gzip + base64 in `body.base64_string`) and the recorded host
//! stripped, and the grouping of a test's files (its body, then its `-tearDown`) into one replay.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

/// One recorded request and Zendesk's answer.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub method: String,
    /// `/api/v2/...` with the query, the recorded host removed.
    pub path_and_query: String,
    /// The request body as sent (zenpy sends JSON or nothing).
    pub request_body: Option<Value>,
    pub status: u16,
    /// The response body when it is JSON; `None` for an empty body.
    pub response_body: Option<Value>,
    /// Zendesk answered with a `Location` header.
    pub has_location: bool,
    /// Zendesk's `Content-Type`, lower-cased (`application/json; charset=utf-8`).
    pub content_type: Option<String>,
}

/// One cassette file.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The file name without `.json`, e.g. `TestTicketsPagination.test_values`.
    pub name: String,
    pub interactions: Vec<Interaction>,
}

impl Recording {
    /// The test a file belongs to: its name up to the first `-` (zenpy names a test's
    /// cassettes `Class.test-part`, and a `-tearDown` cassette deletes what the test created).
    pub fn test_name(&self) -> &str {
        self.name.split('-').next().unwrap_or(&self.name)
    }

    pub fn is_teardown(&self) -> bool {
        self.name.ends_with("-tearDown")
    }
}

/// The recordings beside the repository, or `None` (the replay is skipped, saying so) when
/// they are not there.
pub fn recordings_dir() -> Option<PathBuf> {
    zendesk_types::shared::path(
        env!("CARGO_MANIFEST_DIR"),
        "reference/zendesk-recordings",
        "replaying the recorded Zendesk traffic against the sandbox",
    )
}

/// Every `*.json` cassette in `dir`, sorted by name.
pub fn load_all(dir: &Path) -> Result<Vec<Recording>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "the Zendesk recordings are missing: cannot read `{}` ({e}); they live in \
             shared/reference/zendesk-recordings beside the repository",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

fn load(path: &Path) -> Result<Recording, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let cassette: Value = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not JSON: {e}", path.display()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = cassette["http_interactions"]
        .as_array()
        .ok_or_else(|| format!("`{name}`: no `http_interactions` array"))?;
    let interactions = raw
        .iter()
        .enumerate()
        .map(|(n, i)| interaction(i).map_err(|e| format!("`{name}` interaction {n}: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(Recording { name, interactions })
}

fn interaction(raw: &Value) -> Result<Interaction, String> {
    let request = &raw["request"];
    let response = &raw["response"];
    let uri = request["uri"].as_str().ok_or("request without `uri`")?;
    let start = uri
        .find("/api/v2/")
        .ok_or("request `uri` outside /api/v2/")?;
    let status = response["status"]["code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .ok_or("response without `status.code`")?;
    let header = |name: &str| {
        response["headers"].as_object().and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    let has_location = header("location").is_some();
    // Betamax keeps each header as a list of values.
    let content_type = header("content-type")
        .and_then(|v| v.get(0).and_then(Value::as_str).or_else(|| v.as_str()))
        .map(str::to_ascii_lowercase);
    Ok(Interaction {
        method: request["method"]
            .as_str()
            .ok_or("request without `method`")?
            .to_ascii_uppercase(),
        path_and_query: uri[start..].to_string(),
        request_body: json_body(&request["body"])?,
        status,
        response_body: json_body(&response["body"])?,
        has_location,
        content_type,
    })
}

/// Decodes a betamax body; empty bodies are `None`, non-JSON text becomes a JSON string.
fn json_body(body: &Value) -> Result<Option<Value>, String> {
    let bytes = if let Some(encoded) = body["base64_string"].as_str() {
        let packed = base64::engine::general_purpose::STANDARD
            .decode(encoded.replace(['\n', '\r'], ""))
            .map_err(|e| format!("bad base64 body: {e}"))?;
        if packed.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&packed[..])
                .read_to_end(&mut out)
                .map_err(|e| format!("bad gzip body: {e}"))?;
            out
        } else {
            packed
        }
    } else {
        body["string"]
            .as_str()
            .unwrap_or_default()
            .as_bytes()
            .to_vec()
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(Some(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    })))
}
