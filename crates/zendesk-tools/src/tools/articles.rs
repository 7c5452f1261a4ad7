//! Help Center articles (additions beyond the seed): searching the knowledge base for an answer
//! and reading an article. Bodies come back as plain text (never HTML), cut to the size the
//! caller asks for, so a model reads what it needs and no more.

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::ArticleId;

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};
use crate::tools::comments::strip_tags;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_search_articles", search_articles),
    ("zendesk_get_article", get_article),
];

const SEARCH_BODY_DEFAULT: u64 = 500;
const SEARCH_BODY_MAX: u64 = 20_000;
const ARTICLE_BODY_DEFAULT: u64 = 10_000;
const ARTICLE_BODY_MAX: u64 = 100_000;

/// `text` cut to at most `max` characters, at a word boundary when one is near; whether it was
/// cut.
pub(crate) fn bounded(text: &str, max: usize) -> (String, bool) {
    if text.chars().count() <= max {
        return (text.to_owned(), false);
    }
    let cut: String = text.chars().take(max).collect();
    let ends_a_word = text.chars().nth(max).is_some_and(char::is_whitespace);
    let at_word = cut
        .rfind(char::is_whitespace)
        .filter(|at| !ends_a_word && *at > cut.len() / 2)
        .map_or(cut.as_str(), |at| &cut[..at]);
    (at_word.trim_end().to_owned(), true)
}

/// An article as a model reads it: `keys` of it, body as plain text within `max_body`.
fn readable(record: &Value, keys: &[&'static str], max_body: usize) -> Value {
    let mut out = Map::new();
    for key in keys {
        let value = match *key {
            "url" => record
                .get("html_url")
                .or_else(|| record.get("url"))
                .cloned()
                .unwrap_or(Value::Null),
            "snippet" => json!(strip_tags(record["snippet"].as_str().unwrap_or_default())),
            "body" | "body_truncated" => continue,
            other => record.get(other).cloned().unwrap_or(Value::Null),
        };
        out.insert((*key).into(), value);
    }
    let text = strip_tags(record["body"].as_str().unwrap_or_default());
    let (body, truncated) = bounded(&text, max_body);
    out.insert("body".into(), json!(body));
    out.insert("body_truncated".into(), json!(truncated));
    Value::Object(out)
}

fn search_articles(p: &Params) -> Result<Plan, ToolError> {
    let query = p.required_text("query")?.trim().to_owned();
    let max_body = p
        .number_in("maxBodyChars", 0..=SEARCH_BODY_MAX)?
        .unwrap_or(SEARCH_BODY_DEFAULT) as usize;
    let per_page = p.number_in("perPage", 1..=100)?.unwrap_or(10) as u32;
    let fields = p.fields()?;
    let keys = p.record_keys();
    let mut list = Detached
        .help_center()
        .search(&query, p.text("locale")?)
        .per_page(per_page);
    if let Some(page) = p.page()? {
        list = list.page(page);
    }
    Plan::list(list, move |mut page| {
        page.items = page
            .items
            .iter()
            .map(|hit| readable(hit, &keys, max_body))
            .collect();
        Ok(output::page(page, "articles", fields.as_deref()))
    })
}

fn get_article(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("articleId")?;
    let max_body = p
        .number_in("maxBodyChars", 1..=ARTICLE_BODY_MAX)?
        .unwrap_or(ARTICLE_BODY_DEFAULT) as usize;
    let keys = p.record_keys();
    let fields = p.fields()?;
    Plan::send(Detached.help_center().article(ArticleId(id)), move |body| {
        let record = body.get("article").ok_or_else(|| {
            ToolError::invalid(
                "Zendesk's answer had no `article`; check the subdomain or ZENDESK_BASE_URL",
            )
        })?;
        let mut article = readable(record, &keys, max_body);
        if let Some(fields) = &fields {
            article = output::project(article, fields);
        }
        Ok(json!({ "article": article, "article_id": id }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_as_bounded_plain_text() {
        let hit = json!({"id": 1, "title": "Reset", "html_url": "https://h/hc/en-us/articles/1-reset",
            "url": "https://h/api/v2/help_center/en-us/articles/1.json",
            "snippet": "To <em>reset</em> your &amp; password",
            "body": "<h2>Steps</h2><p>Open the login page and click Forgot password.</p>"});
        let tool = crate::registry::registry()
            .get("zendesk_search_articles")
            .unwrap();
        let keys = tool.spec.record_keys();
        let out = readable(&hit, &keys, 30);
        assert_eq!(out["url"], "https://h/hc/en-us/articles/1-reset");
        assert_eq!(out["snippet"], "To reset your & password");
        assert_eq!(out["body"], "Steps\n\nOpen the login page and");
        assert_eq!(out["body_truncated"], true);
        let whole = readable(&hit, &keys, 1000);
        assert_eq!(whole["body_truncated"], false);
        assert!(!whole["body"].as_str().unwrap().contains('<'));
        let none = readable(&hit, &keys, 0);
        assert_eq!(none["body"], "");
    }
}
