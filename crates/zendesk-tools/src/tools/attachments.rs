//! Files on tickets (additions beyond the seed): reading an attachment (its record, and its
//! content when a model can read it: text up to a bound, an image as an image), and uploading
//! a file to attach to a note or reply (`uploadTokens` of zendesk_add_internal_note and
//! zendesk_reply_to_ticket).
//!
//! Uploads read files only from the directory the host's operator configured
//! (`CallContext::attachments_dir`, `--attachments-dir`). A model names a file inside it; a name
//! with `..`, an absolute path outside it, or a symlink leading out of it is refused, as is
//! anything but a regular file. Without a directory, uploading is off.

use std::path::{Component, Path, PathBuf};

use base64::Engine;
use serde_json::{Value, json};
use zendesk::Detached;
use zendesk_types::AttachmentId;

use crate::error::ToolError;
use crate::params::{Params, shown};
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_attachment", get_attachment),
    ("zendesk_upload_attachment", upload_attachment),
];

/// Text shown by default, and at most.
const TEXT_DEFAULT: u64 = 20_000;
const TEXT_MAX: u64 = 200_000;
/// Largest image returned as an image (MCP clients take a few MB at most).
pub(crate) const IMAGE_MAX: usize = 2 * 1024 * 1024;
/// Largest file uploaded (Zendesk's limit is 50 MB).
const UPLOAD_MAX: u64 = 50 * 1024 * 1024;

/// Image types a model can be shown.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

fn get_attachment(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("attachmentId")?;
    let max_text = p
        .number_in("maxChars", 1..=TEXT_MAX)?
        .unwrap_or(TEXT_DEFAULT) as usize;
    let request = Detached.attachments().show(AttachmentId(id)).raw();
    request
        .check()
        .map_err(|e| ToolError::invalid(e.to_string()))?;
    Ok(Plan::Attachment {
        request,
        max_text,
        max_image: IMAGE_MAX,
    })
}

fn upload_attachment(p: &Params) -> Result<Plan, ToolError> {
    let file = p.required_text("fileName")?.to_owned();
    check_name(&file)?;
    let token = p.text("uploadToken")?.map(|t| t.trim().to_owned());
    if let Some(token) = &token {
        let valid = token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ToolError::invalid(format!(
                "uploadToken {} is not an upload token; use the token zendesk_upload_attachment returned",
                shown(token)
            )));
        }
    }
    Ok(Plan::Upload { file, token })
}

/// What a name may never be, whatever the directory: empty, or with a `..` step or a NUL.
fn check_name(name: &str) -> Result<(), ToolError> {
    if name.trim().is_empty() || name.contains('\0') {
        return Err(ToolError::invalid(
            "fileName must name a file in the attachments directory, such as \"report.pdf\"",
        ));
    }
    if Path::new(name)
        .components()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return Err(ToolError::invalid(format!(
            "fileName {} goes up a directory (`..`): only files inside the attachments directory can be uploaded; name one as it appears there",
            shown(name)
        )));
    }
    Ok(())
}

/// The file `name` names inside `dir`, checked: inside it once every symlink is followed, and a
/// regular file. Returns its canonical path and the name it is uploaded under.
pub(crate) fn file_in(dir: &Path, name: &str) -> Result<(PathBuf, String), ToolError> {
    check_name(name)?;
    let root = dir.canonicalize().map_err(|error| {
        ToolError::invalid(format!(
            "the attachments directory {} cannot be read ({error}); the operator sets it with --attachments-dir",
            dir.display()
        ))
    })?;
    let requested = Path::new(name.trim());
    let candidate = if requested.is_absolute() {
        requested.to_path_buf()
    } else {
        root.join(requested)
    };
    let outside = || {
        ToolError::invalid(format!(
            "fileName {} is outside the attachments directory: only files inside it can be uploaded",
            shown(name)
        ))
    };
    // An absolute path is judged before it is touched: one outside the directory is refused
    // without saying whether it exists.
    if requested.is_absolute() && !candidate.starts_with(&root) && !candidate.starts_with(dir) {
        return Err(outside());
    }
    let real = match candidate.canonicalize() {
        Ok(real) => real,
        Err(_) => {
            return Err(ToolError::invalid(format!(
                "no file named {} in the attachments directory{}",
                shown(name),
                listing(&root)
            )));
        }
    };
    if !real.starts_with(&root) {
        // A symlink inside the directory that leads out of it.
        return Err(outside());
    }
    let meta = std::fs::metadata(&real)
        .map_err(|error| ToolError::invalid(format!("cannot read {}: {error}", shown(name))))?;
    if !meta.is_file() {
        return Err(ToolError::invalid(format!(
            "{} is not a file{}",
            shown(name),
            listing(&root)
        )));
    }
    if meta.len() > UPLOAD_MAX {
        return Err(ToolError::invalid(format!(
            "{} is {} bytes; Zendesk takes files of at most 50 MB",
            shown(name),
            meta.len()
        )));
    }
    let upload_name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    Ok((real, upload_name))
}

/// `; files there: a.pdf, b.png` (the first 20), for a name that was not found.
fn listing(root: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(root) else {
        return String::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.is_empty() {
        return "; the directory holds no files".into();
    }
    let more = names.len().saturating_sub(20);
    names.truncate(20);
    let mut out = format!("; files there: {}", names.join(", "));
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

/// Reads the checked file, making sure it is still the file that was checked.
pub(crate) fn read_checked(path: &Path) -> Result<Vec<u8>, ToolError> {
    use std::io::Read;
    let before = std::fs::metadata(path)
        .map_err(|e| ToolError::invalid(format!("cannot read the file: {e}")))?;
    let mut file = std::fs::File::open(path)
        .map_err(|e| ToolError::invalid(format!("cannot open the file: {e}")))?;
    let opened = file
        .metadata()
        .map_err(|e| ToolError::invalid(format!("cannot read the file: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (before.dev(), before.ino()) != (opened.dev(), opened.ino()) {
            return Err(ToolError::invalid(
                "the file changed while it was being read; try again",
            ));
        }
    }
    if !opened.is_file() || opened.len() > UPLOAD_MAX {
        return Err(ToolError::invalid(
            "the file is not a regular file of at most 50 MB",
        ));
    }
    let mut bytes = Vec::with_capacity(opened.len() as usize);
    file.by_ref()
        .take(UPLOAD_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ToolError::invalid(format!("cannot read the file: {e}")))?;
    let _ = before;
    Ok(bytes)
}

/// An attachment record cut to what a model reads.
pub(crate) fn compact(record: &Value) -> Value {
    json!({
        "id": record.get("id"), "file_name": record.get("file_name"),
        "content_type": record.get("content_type"), "size": record.get("size"),
        "url": record.get("content_url"),
    })
}

/// Whether a model can read a file of this type as text.
pub(crate) fn is_text(content_type: &str) -> bool {
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    kind.starts_with("text/")
        || kind.ends_with("+json")
        || kind.ends_with("+xml")
        || matches!(
            kind.as_str(),
            "application/json"
                | "application/xml"
                | "application/csv"
                | "application/x-yaml"
                | "application/yaml"
                | "application/javascript"
                | "application/x-ndjson"
        )
}

/// Whether a model can be shown a file of this type as an image.
pub(crate) fn is_image(content_type: &str) -> bool {
    let kind = content_type.split(';').next().unwrap_or_default().trim();
    IMAGE_TYPES.iter().any(|t| t.eq_ignore_ascii_case(kind))
}

/// The tool's output for an attachment and what could be read of it.
pub(crate) fn shaped(record: &Value, content: Content) -> Value {
    let mut out = json!({ "attachment": compact(record), "content": null, "truncated": false });
    match content {
        Content::Text { text, truncated } => {
            out["content"] = json!(text);
            out["truncated"] = json!(truncated);
        }
        Content::Image { mime_type, bytes } => {
            out["image"] = json!({
                "mime_type": mime_type,
                "data": base64::engine::general_purpose::STANDARD.encode(bytes),
            });
        }
        Content::NotShown(note) => out["note"] = json!(note),
    }
    out
}

/// What was read of an attachment's file.
pub(crate) enum Content {
    Text { text: String, truncated: bool },
    Image { mime_type: String, bytes: Vec<u8> },
    NotShown(String),
}

/// Text of at most `max` characters from the first bytes of a file (a character cut at the
/// end of the bytes read is dropped).
pub(crate) fn text_of(bytes: &[u8], cut_short: bool, max: usize) -> (String, bool) {
    let text = String::from_utf8_lossy(bytes);
    let text = if cut_short {
        text.trim_end_matches('\u{FFFD}')
    } else {
        &text
    };
    let (text, truncated) = crate::tools::articles::bounded(text, max);
    (text, truncated || cut_short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "zd-attach-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        dir
    }

    #[test]
    fn only_files_inside_the_directory_can_be_named() {
        let root = dir("inside");
        let outside = dir("outside");
        std::fs::write(root.join("a.txt"), "hello").unwrap();
        std::fs::write(root.join("sub").join("b.png"), "png").unwrap();
        std::fs::write(outside.join("secret.txt"), "secret").unwrap();

        let (path, name) = file_in(&root, "a.txt").unwrap();
        assert_eq!(name, "a.txt");
        assert_eq!(read_checked(&path).unwrap(), b"hello");
        assert_eq!(file_in(&root, "sub/b.png").unwrap().1, "b.png");
        let absolute_inside = root.join("a.txt");
        assert!(file_in(&root, absolute_inside.to_str().unwrap()).is_ok());

        let up = file_in(&root, "../outside/secret.txt").unwrap_err();
        assert!(up.message.contains("`..`"), "{}", up.message);
        let sneaky = file_in(&root, "sub/../../etc/passwd").unwrap_err();
        assert!(sneaky.message.contains("`..`"), "{}", sneaky.message);
        let absolute = file_in(&root, outside.join("secret.txt").to_str().unwrap()).unwrap_err();
        assert!(
            absolute
                .message
                .contains("outside the attachments directory"),
            "{}",
            absolute.message
        );
        let passwd = file_in(&root, "/etc/passwd").unwrap_err();
        assert!(passwd.message.contains("outside"), "{}", passwd.message);
        let missing = file_in(&root, "nope.txt").unwrap_err();
        assert!(
            missing.message.contains("files there: a.txt"),
            "{}",
            missing.message
        );
        let directory = file_in(&root, "sub").unwrap_err();
        assert!(
            directory.message.contains("not a file"),
            "{}",
            directory.message
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link.txt")).unwrap();
            std::os::unix::fs::symlink(&outside, root.join("linkdir")).unwrap();
            for name in ["link.txt", "linkdir/secret.txt"] {
                let error = file_in(&root, name).unwrap_err();
                assert!(
                    error.message.contains("outside"),
                    "{name}: {}",
                    error.message
                );
            }
            // A symlink that stays inside is fine.
            std::os::unix::fs::symlink(root.join("a.txt"), root.join("alias.txt")).unwrap();
            assert_eq!(file_in(&root, "alias.txt").unwrap().1, "a.txt");
        }
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(outside);
    }

    #[test]
    fn text_and_images_are_told_apart() {
        assert!(is_text("text/plain; charset=utf-8"));
        assert!(is_text("application/json"));
        assert!(is_text("image/svg+xml"));
        assert!(!is_text("application/pdf"));
        assert!(is_image("image/PNG"));
        assert!(!is_image("image/svg+xml"));
        let (text, truncated) = text_of("héllo".as_bytes(), false, 3);
        assert_eq!((text.as_str(), truncated), ("hél", true));
        let (text, truncated) = text_of(&"é".as_bytes()[..1], true, 10);
        assert_eq!((text.as_str(), truncated), ("", true));
    }
}
