//! Help Center articles (additions beyond the seed): searching the knowledge base for an answer
//! and reading an article. Bodies come back as plain text (never HTML), cut to the size the
//! caller asks for, so a model reads what it needs and no more.

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::ArticleId;

use crate::Tool;
use crate::ToolError;
use crate::comments::strip_tags;
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;

const SEARCH_BODY_DEFAULT: u64 = 500;
const SEARCH_BODY_MAX: u64 = 20_000;
const ARTICLE_BODY_DEFAULT: u64 = 10_000;
const ARTICLE_BODY_MAX: u64 = 100_000;

fn hit_fields() -> Vec<OutputSpec> {
    vec![
        out(
            "id",
            "number",
            "Article ID (the articleId of zendesk_get_article)",
        ),
        out("title", "string", "Title"),
        out(
            "url",
            "string",
            "The article's page in the help center, to send a customer",
        ),
        out(
            "snippet",
            "string",
            "The text around the words found (plain text)",
        ),
        out(
            "body",
            "string",
            "The article as plain text, at most maxBodyChars characters",
        ),
        out(
            "body_truncated",
            "boolean",
            "Whether body was cut at maxBodyChars (zendesk_get_article reads it whole)",
        ),
        out("section_id", "number", "Section it is in"),
        out("locale", "string", "Language (e.g., en-us)"),
        out(
            "updated_at",
            "string",
            "When it was last changed (ISO 8601 format)",
        ),
    ]
}

fn article_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Article ID"),
        out("title", "string", "Title"),
        out(
            "url",
            "string",
            "The article's page in the help center, to send a customer",
        ),
        out(
            "body",
            "string",
            "The article as plain text, at most maxBodyChars characters",
        ),
        out(
            "body_truncated",
            "boolean",
            "Whether body was cut at maxBodyChars",
        ),
        out("section_id", "number", "Section it is in"),
        out("locale", "string", "Language (e.g., en-us)"),
        out("label_names", "array", "Labels"),
        out("draft", "boolean", "Whether it is a draft (agents only)"),
        out("author_id", "number", "User ID of its author"),
        out(
            "updated_at",
            "string",
            "When it was last changed (ISO 8601 format)",
        ),
    ]
}

pub(crate) fn search_articles() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_search_articles",
            description: "Search the Help Center (knowledge base) for articles that answer a question: best matches first, each with its title, URL (to send a customer), a plain-text snippet around the words found, and its body as plain text cut to maxBodyChars",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "query",
                        "Words to look for (e.g., \"reset password email\")",
                    ),
                    optional("locale", "Only articles in this language (e.g., \"en-us\")"),
                    optional(
                        "maxBodyChars",
                        "Characters of each article's body to return as plain text (default: \"500\", \"0\" for none, max: \"20000\")",
                    ),
                    optional(
                        "perPage",
                        "Articles per page as a number string (default: \"10\", max: \"100\")",
                    ),
                    optional("page", "Page number as a number string (default: \"1\")"),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "articles",
                    "array",
                    "The articles found, best first",
                    hit_fields(),
                ),
                nested(
                    "paging",
                    "object",
                    "Pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_search_articles,
    )
}

pub(crate) fn get_article() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_article",
            description: "Read a Help Center article: its title, URL (to send a customer) and body as plain text (cut to maxBodyChars)",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "articleId",
                        "Article to read, as a numeric string (an id from zendesk_search_articles)",
                    ),
                    optional(
                        "maxBodyChars",
                        "Characters of the body to return as plain text (default: \"10000\", max: \"100000\")",
                    ),
                ],
            ),
            outputs: vec![
                nested("article", "object", "The article", article_fields()),
                out("article_id", "number", "The article ID"),
            ],
            annotations: READ_ONLY,
        },
        plan_get_article,
    )
}

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

fn plan_search_articles(p: &Params) -> Result<Plan, ToolError> {
    let query = p.required_text("query")?.trim().to_owned();
    let max_body = p
        .number_in("maxBodyChars", 0..=SEARCH_BODY_MAX)?
        .unwrap_or(SEARCH_BODY_DEFAULT) as usize;
    let per_page = p.number_in("perPage", 1..=100)?.unwrap_or(10) as u32;
    let fields = p.fields(&keys_of(&hit_fields()))?;
    let mut list = Detached
        .help_center()
        .search(&query, p.text("locale")?)
        .per_page(per_page);
    if let Some(page) = p.page()? {
        list = list.page(page);
    }
    Plan::list(list, move |mut page| {
        let keys = keys_of(&hit_fields());
        page.items = page
            .items
            .iter()
            .map(|hit| readable(hit, &keys, max_body))
            .collect();
        Ok(output::page(page, "articles", fields.as_deref()))
    })
}

fn plan_get_article(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("articleId")?;
    let max_body = p
        .number_in("maxBodyChars", 1..=ARTICLE_BODY_MAX)?
        .unwrap_or(ARTICLE_BODY_DEFAULT) as usize;
    Plan::send(Detached.help_center().article(ArticleId(id)), move |body| {
        let record = body.get("article").ok_or_else(|| {
            ToolError::invalid(
                "Zendesk's answer had no `article`; check the subdomain or ZENDESK_BASE_URL",
            )
        })?;
        let article = readable(record, &keys_of(&article_fields()), max_body);
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
        let out = readable(&hit, &keys_of(&hit_fields()), 30);
        assert_eq!(out["url"], "https://h/hc/en-us/articles/1-reset");
        assert_eq!(out["snippet"], "To reset your & password");
        assert_eq!(out["body"], "Steps\n\nOpen the login page and");
        assert_eq!(out["body_truncated"], true);
        let whole = readable(&hit, &keys_of(&hit_fields()), 1000);
        assert_eq!(whole["body_truncated"], false);
        assert!(!whole["body"].as_str().unwrap().contains('<'));
        let none = readable(&hit, &keys_of(&hit_fields()), 0);
        assert_eq!(none["body"], "");
    }
}
