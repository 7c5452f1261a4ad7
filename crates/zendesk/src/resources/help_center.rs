//! `client.help_center()`: Help Center articles (list, show, search, create in a section,
//! update, archive), sections and categories (list, show). A locale (`en-us`) narrows lists and
//! search, as `/help_center/{locale}/...` does on Zendesk.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{Article, ArticleHit, ArticleId, Category, CategoryId, Section, SectionId};

use super::keyed;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_nothing, read_record};

/// Help Center requests. Get one with [`Client::help_center`] or [`Detached::help_center`].
#[derive(Debug, Clone)]
pub struct HelpCenterHandler<C = Client> {
    client: C,
}

impl Client {
    /// Help Center requests.
    pub fn help_center(&self) -> HelpCenterHandler {
        HelpCenterHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Help Center requests as plain values.
    pub fn help_center(self) -> HelpCenterHandler<Detached> {
        HelpCenterHandler { client: self }
    }
}

/// A locale as a path segment: letters, digits and `-` (`en-us`, `pt-br`).
fn check_locale(locale: &str) -> Result<String> {
    let locale = locale.trim().to_ascii_lowercase();
    if !locale.is_empty()
        && locale.len() <= 16
        && locale
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(locale)
    } else {
        Err(Error::InvalidRequest(format!(
            "locale {locale:?} is not a locale such as \"en-us\""
        )))
    }
}

impl<C: Clone> HelpCenterHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /help_center/articles` (or `/help_center/{locale}/articles`), cursor paging.
    pub fn articles(&self, locale: Option<&str>) -> ListRequest<Article, C> {
        match locale.map(check_locale).transpose() {
            Ok(Some(locale)) => ListRequest::new(
                self.client.clone(),
                format!("/help_center/{locale}/articles"),
                Paging::Cursor,
            ),
            Ok(None) => {
                ListRequest::new(self.client.clone(), "/help_center/articles", Paging::Cursor)
            }
            Err(error) => {
                ListRequest::new(self.client.clone(), "/help_center/articles", Paging::Cursor)
                    .fail(error.to_string())
            }
        }
    }

    /// `GET /help_center/sections/{id}/articles`.
    pub fn section_articles(&self, id: SectionId) -> ListRequest<Article, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/help_center/sections/{id}/articles"),
            Paging::Cursor,
        )
    }

    /// `GET /help_center/articles/{id}`.
    pub fn article(&self, id: ArticleId) -> Request<Article, C> {
        self.request(
            Method::GET,
            format!("/help_center/articles/{id}"),
            read_record::<Article>,
        )
    }

    /// `GET /help_center/articles/search?query=`: articles holding the query's words, best
    /// first, each with a snippet (offset paging). An empty query is refused before sending.
    pub fn search(&self, query: &str, locale: Option<&str>) -> ListRequest<ArticleHit, C> {
        let mut list = ListRequest::new(
            self.client.clone(),
            "/help_center/articles/search",
            Paging::Offset,
        );
        if query.trim().is_empty() {
            return list.fail(
                "search articles: the query is empty; give the words to look for, such as \"reset password\""
                    .into(),
            );
        }
        list = list.param("query", query.trim());
        match locale.map(check_locale).transpose() {
            Ok(Some(locale)) => list.param("locale", locale),
            Ok(None) => list,
            Err(error) => list.fail(error.to_string()),
        }
    }

    /// `POST /help_center/sections/{id}/articles` with `{"article": {"title", "body", ...}}`.
    pub fn create_article<B: Serialize + ?Sized>(
        &self,
        section: SectionId,
        article: &B,
    ) -> Request<Article, C> {
        self.request(
            Method::POST,
            format!("/help_center/sections/{section}/articles"),
            read_record::<Article>,
        )
        .json(&keyed("article", article))
    }

    /// `PUT /help_center/articles/{id}` with `{"article": changes}`.
    pub fn update_article<B: Serialize + ?Sized>(
        &self,
        id: ArticleId,
        changes: &B,
    ) -> Request<Article, C> {
        self.request(
            Method::PUT,
            format!("/help_center/articles/{id}"),
            read_record::<Article>,
        )
        .json(&keyed("article", changes))
    }

    /// `DELETE /help_center/articles/{id}`: archives it (204).
    pub fn archive_article(&self, id: ArticleId) -> Request<(), C> {
        self.request(
            Method::DELETE,
            format!("/help_center/articles/{id}"),
            read_nothing,
        )
    }

    /// `GET /help_center/sections`.
    pub fn sections(&self) -> ListRequest<Section, C> {
        ListRequest::new(self.client.clone(), "/help_center/sections", Paging::Cursor)
    }

    /// `GET /help_center/sections/{id}`.
    pub fn section(&self, id: SectionId) -> Request<Section, C> {
        self.request(
            Method::GET,
            format!("/help_center/sections/{id}"),
            read_record::<Section>,
        )
    }

    /// `GET /help_center/categories`.
    pub fn categories(&self) -> ListRequest<Category, C> {
        ListRequest::new(
            self.client.clone(),
            "/help_center/categories",
            Paging::Cursor,
        )
    }

    /// `GET /help_center/categories/{id}`.
    pub fn category(&self, id: CategoryId) -> Request<Category, C> {
        self.request(
            Method::GET,
            format!("/help_center/categories/{id}"),
            read_record::<Category>,
        )
    }
}
