//! The Help Center: categories hold sections, sections hold articles. What creating, updating
//! and deleting each does (a category or section with children cannot be deleted; deleting an
//! article archives it for good, as Zendesk's API does), and article search: the words of a
//! query, and the snippet shown with each hit (the body as text around the first match, the
//! words in `<em>`). Drafts are for agents only. Every record has one locale (`en-us` unless
//! given); the sandbox keeps no translations.

use serde_json::{Map, Value, json};

use super::input::{as_id, opt_bool, opt_str, tag_list};
use super::{fetch, required_text};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Bind, Filter, Table, Writer};
use crate::util::{html_text, iso, now};

/// The locale of records that do not name one.
pub const DEFAULT_LOCALE: &str = "en-us";

/// The permission group every article belongs to (the sandbox has one: agents edit, admins
/// publish).
const PERMISSION_GROUP_ID: i64 = 36_000_000_001;

/// Words a search ignores: they would match every article.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
    "how", "i", "if", "in", "is", "it", "me", "my", "no", "not", "of", "on", "or", "our", "so",
    "that", "the", "this", "to", "was", "we", "what", "when", "why", "with", "you", "your",
];

/// The words of a search query (lowercased, at most 32, stop words out).
pub fn search_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in query
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(&w.as_str()))
    {
        if !words.contains(&word) && words.len() < 32 {
            words.push(word);
        }
    }
    words
}

/// A locale as given (`en-US` -> `en-us`); refused when it is not one.
pub fn check_locale(locale: &str) -> Result<String, ApiError> {
    let lower = locale.trim().to_lowercase();
    let valid = !lower.is_empty()
        && lower.len() <= 16
        && lower
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(lower)
    } else {
        Err(ApiError::bad_value(format!(
            "locale `{locale}` is not a locale; use one such as en-us"
        )))
    }
}

fn locale_of(input: &Map<String, Value>, path_locale: Option<&str>) -> Result<String, ApiError> {
    match opt_str(input, "locale")?
        .flatten()
        .or(path_locale.map(str::to_string))
    {
        Some(locale) => check_locale(&locale),
        None => Ok(DEFAULT_LOCALE.into()),
    }
}

fn position(input: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    match input.get("position").filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(value) => as_id(value).filter(|p| *p >= 0).map(Some).ok_or_else(|| {
            ApiError::invalid(
                "position",
                format!("Position: must be a whole number, got {value}"),
                "InvalidValue",
            )
        }),
    }
}

fn apply_common(
    record: &mut Value,
    input: &Map<String, Value>,
    name_key: &str,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(name) = required_text(input, name_key, creating)? {
        record[name_key] = json!(name.trim());
        if name_key == "title" {
            record["name"] = json!(name.trim());
        }
    }
    if let Some(position) = position(input)? {
        record["position"] = json!(position);
    }
    Ok(())
}

pub fn create_category(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
    path_locale: Option<&str>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let at = iso(now());
    let locale = locale_of(input, path_locale)?;
    let id = tx.allocate_id(Table::Categories)?;
    let mut record = json!({
        "id": id, "position": 0, "created_at": at, "updated_at": at, "name": "",
        "description": "", "locale": locale, "source_locale": locale, "outdated": false
    });
    apply_common(&mut record, input, "name", true)?;
    if let Some(description) = opt_str(input, "description")? {
        record["description"] = json!(description.unwrap_or_default());
    }
    tx.save(Table::Categories, &record)?;
    Ok(record)
}

pub fn update_category(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let mut record = fetch(tx, Table::Categories, id)?;
    apply_common(&mut record, input, "name", false)?;
    if let Some(description) = opt_str(input, "description")? {
        record["description"] = json!(description.unwrap_or_default());
    }
    record["updated_at"] = json!(iso(now()));
    tx.save(Table::Categories, &record)?;
    Ok(record)
}

/// Deletes an empty category (one with sections is refused: delete them first).
pub fn delete_category(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_admin()?;
    fetch(tx, Table::Categories, id)?;
    let sections = tx.count(Table::Sections, &[Filter::Eq("category_id", Bind::Int(id))])?;
    if sections > 0 {
        return Err(ApiError::invalid(
            "category",
            format!("Category: {id} still has {sections} section(s); delete or move them first"),
            "InvalidValue",
        ));
    }
    tx.delete_row(Table::Categories, id)?;
    Ok(())
}

pub fn create_section(
    tx: &mut dyn Writer,
    caller: &Caller,
    category_id: i64,
    input: &Map<String, Value>,
    path_locale: Option<&str>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    fetch(tx, Table::Categories, category_id)?;
    let at = iso(now());
    let locale = locale_of(input, path_locale)?;
    let id = tx.allocate_id(Table::Sections)?;
    let mut record = json!({
        "id": id, "category_id": category_id, "position": 0, "sorting": "manual",
        "created_at": at, "updated_at": at, "name": "", "description": "", "locale": locale,
        "source_locale": locale, "outdated": false, "parent_section_id": null,
        "theme_template": "section_page"
    });
    apply_common(&mut record, input, "name", true)?;
    if let Some(description) = opt_str(input, "description")? {
        record["description"] = json!(description.unwrap_or_default());
    }
    tx.save(Table::Sections, &record)?;
    Ok(record)
}

pub fn update_section(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let mut record = fetch(tx, Table::Sections, id)?;
    apply_common(&mut record, input, "name", false)?;
    if let Some(description) = opt_str(input, "description")? {
        record["description"] = json!(description.unwrap_or_default());
    }
    if let Some(category) = super::input::opt_id(input, "category_id")? {
        let category = category.ok_or_else(|| {
            ApiError::invalid("category_id", "Category: cannot be blank", "BlankValue")
        })?;
        super::check_ref(
            tx,
            "category_id",
            "Category",
            Table::Categories,
            Some(category),
        )?;
        record["category_id"] = json!(category);
    }
    record["updated_at"] = json!(iso(now()));
    tx.save(Table::Sections, &record)?;
    Ok(record)
}

/// Deletes an empty section (one with articles is refused).
pub fn delete_section(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_admin()?;
    fetch(tx, Table::Sections, id)?;
    let articles = tx.count(Table::Articles, &[Filter::Eq("section_id", Bind::Int(id))])?;
    if articles > 0 {
        return Err(ApiError::invalid(
            "section",
            format!("Section: {id} still has {articles} article(s); archive or move them first"),
            "InvalidValue",
        ));
    }
    tx.delete_row(Table::Sections, id)?;
    Ok(())
}

fn apply_article(
    tx: &mut dyn Writer,
    record: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    apply_common(record, input, "title", creating)?;
    if let Some(body) = opt_str(input, "body")? {
        record["body"] = json!(body.unwrap_or_default());
    }
    if let Some(draft) = opt_bool(input, "draft")? {
        record["draft"] = json!(draft);
    }
    if let Some(promoted) = opt_bool(input, "promoted")? {
        record["promoted"] = json!(promoted);
    }
    if let Some(disabled) = opt_bool(input, "comments_disabled")? {
        record["comments_disabled"] = json!(disabled);
    }
    if let Some(labels) = input.get("label_names") {
        record["label_names"] = json!(tag_list(labels, "label_names")?);
    }
    if let Some(section) = super::input::opt_id(input, "section_id")? {
        let section = section.ok_or_else(|| {
            ApiError::invalid("section_id", "Section: cannot be blank", "BlankValue")
        })?;
        super::check_ref(tx, "section_id", "Section", Table::Sections, Some(section))?;
        record["section_id"] = json!(section);
    }
    if let Some(segment) = super::input::opt_id(input, "user_segment_id")? {
        record["user_segment_id"] = json!(segment);
    }
    Ok(())
}

/// Creates an article in a section (agents). As on Zendesk, it is published unless it says
/// `draft: true`.
pub fn create_article(
    tx: &mut dyn Writer,
    caller: &Caller,
    section_id: i64,
    input: &Map<String, Value>,
    path_locale: Option<&str>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let section = fetch(tx, Table::Sections, section_id)?;
    let at = iso(now());
    let locale = match opt_str(input, "locale")?
        .flatten()
        .or(path_locale.map(str::to_string))
    {
        Some(locale) => check_locale(&locale)?,
        None => section["locale"]
            .as_str()
            .unwrap_or(DEFAULT_LOCALE)
            .to_string(),
    };
    let id = tx.allocate_id(Table::Articles)?;
    let mut record = json!({
        "id": id, "author_id": caller.id, "comments_disabled": false, "draft": false,
        "promoted": false, "position": 0, "vote_sum": 0, "vote_count": 0,
        "section_id": section_id, "created_at": at, "updated_at": at, "name": "", "title": "",
        "source_locale": locale, "locale": locale, "outdated": false, "outdated_locales": [],
        "edited_at": at, "user_segment_id": null, "permission_group_id": PERMISSION_GROUP_ID,
        "content_tag_ids": [], "label_names": [], "body": ""
    });
    apply_article(tx, &mut record, input, true)?;
    tx.save(Table::Articles, &record)?;
    Ok(record)
}

pub fn update_article(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut record = fetch(tx, Table::Articles, id)?;
    apply_article(tx, &mut record, input, false)?;
    let at = iso(now());
    record["updated_at"] = json!(at);
    record["edited_at"] = json!(at);
    tx.save(Table::Articles, &record)?;
    Ok(record)
}

/// Archives an article: it is gone from the API and from search.
pub fn archive_article(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_agent()?;
    fetch(tx, Table::Articles, id)?;
    tx.delete_row(Table::Articles, id)?;
    Ok(())
}

/// Whether `caller` (None: anonymous) may read this article: drafts are for agents.
pub fn can_read_article(caller: Option<&Caller>, article: &Value) -> bool {
    caller.is_some_and(Caller::is_agent) || article["draft"] != true
}

/// The snippet of a search hit: about `width` characters of the body as text around the first
/// word of the query it holds (the start of the body when none), each query word in `<em>`.
/// Text is HTML-escaped, so the snippet is safe to show as HTML.
pub fn snippet(body_html: &str, words: &[String], width: usize) -> String {
    let text = html_text(body_html)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = text.to_lowercase();
    let first = words
        .iter()
        .filter_map(|w| find_word(&lower, w))
        .min()
        .unwrap_or(0);
    // Start a little before the first match, on a word boundary.
    let mut start = first.saturating_sub(width / 4);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    if start > 0 {
        start = text[..start].rfind(' ').map_or(0, |space| space + 1);
    }
    let mut end = (start + width).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    if end < text.len() {
        end = text[..end].rfind(' ').filter(|e| *e > start).unwrap_or(end);
    }
    let window = &text[start..end];
    let mut out = String::with_capacity(window.len() + 32);
    if start > 0 {
        out.push_str("... ");
    }
    for (index, token) in window.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let core: String = token.chars().filter(|c| c.is_alphanumeric()).collect();
        let core = core.to_lowercase();
        let escaped = escape(token);
        if !core.is_empty() && words.iter().any(|w| core.starts_with(w.as_str())) {
            out.push_str("<em>");
            out.push_str(&escaped);
            out.push_str("</em>");
        } else {
            out.push_str(&escaped);
        }
    }
    if end < text.len() {
        out.push_str(" ...");
    }
    out
}

/// Where `word` first starts a word of `text` (both lowercased).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let at = from + at;
        let starts_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if starts_word {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_their_meaningful_words() {
        assert_eq!(
            search_words("How do I reset my password?"),
            vec!["reset", "password"]
        );
        assert!(search_words("the and of").is_empty());
        assert_eq!(search_words("CSV csv export"), vec!["csv", "export"]);
    }

    #[test]
    fn snippets_show_the_words_in_context() {
        let body = "<p>Intro text here.</p><p>To <b>reset</b> your password, open Settings &amp; click Forgot.</p>";
        let words = search_words("password reset");
        let snippet = snippet(body, &words, 200);
        assert!(snippet.contains("<em>reset</em>"), "{snippet}");
        assert!(snippet.contains("<em>password,</em>"), "{snippet}");
        assert!(snippet.contains("Settings &amp; click"), "{snippet}");
        let long = format!("<p>{} needle here</p>", "filler ".repeat(100));
        let snippet = super::snippet(&long, &["needle".to_string()], 80);
        assert!(
            snippet.starts_with("... ") && snippet.contains("<em>needle</em>"),
            "{snippet}"
        );
        assert!(snippet.len() < 140, "{snippet}");
    }
}
