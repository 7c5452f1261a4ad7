//! The Help Center (Guide): categories hold sections, sections hold articles. Article bodies are
//! HTML; search hits carry a `snippet` (text with the matched words in `<em>`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{ArticleId, CategoryId, SectionId, UserId};

/// A Help Center article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    #[serde(default)]
    pub url: Option<String>,
    /// The article's page in the help center.
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// HTML.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub section_id: Option<SectionId>,
    #[serde(default)]
    pub author_id: Option<UserId>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub label_names: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One hit of `GET /help_center/articles/search`: an article with its snippet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleHit {
    pub id: ArticleId,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// The matched text, words in `<em>`.
    #[serde(default)]
    pub snippet: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub section_id: Option<SectionId>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Help Center section (in a category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub id: SectionId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Help Center category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
