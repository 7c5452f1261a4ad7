//! The Help Center over HTTP, under `/api/v2/help_center` (and `/api/v2/help_center/{locale}`):
//! categories, sections and articles (list, show, create, update, delete), the articles of a
//! section or category, and article search with snippets. A record's `html_url` is its page
//! where the Help Center is published (`Config::help_center_url`), else under this server. Reading is open to anyone, signed in
//! or not, as a public help center is; drafts are shown to agents only. Admins manage
//! categories and sections, agents write articles (`resources::help_center`).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, Params, PathId, Query, object_under, record_id};
use super::listing::Listing;
use super::paging::{MAX_PAGE_SIZE, Sort, check_depth, page_request};
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, Update, UpdateRule,
};
use crate::auth::MaybeCaller;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::help_center::{self, check_locale};
use crate::state::AppState;
use crate::store::{ArticleSearch, Bind, Filter, Table};

tokio::task_local! {
    /// Where the Help Center's pages are published, for the request being answered. Renders
    /// see only the request's own address (`base`), and many handlers share them, so the
    /// configured address travels with the request instead of through every signature.
    static PUBLISHED_AT: Arc<str>;
}

/// Middleware: answers the request with the configured Help Center address in scope.
pub(super) async fn published_at(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match state.inner.help_center_url.clone() {
        Some(url) => PUBLISHED_AT.scope(url, next.run(request)).await,
        None => next.run(request).await,
    }
}

/// A Help Center record as served: `id`, then its `url` (under its locale) and `html_url` (the
/// page in the help center), then the rest.
fn render_hc(record: Value, base: &str, kind: &str) -> Value {
    let id = record["id"].as_i64().unwrap_or_default();
    let locale = record["locale"]
        .as_str()
        .unwrap_or(help_center::DEFAULT_LOCALE)
        .to_string();
    let title = record["title"]
        .as_str()
        .or(record["name"].as_str())
        .unwrap_or_default();
    let slug: String = title
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert(
        "url".into(),
        json!(format!(
            "{base}/api/v2/help_center/{locale}/{kind}/{id}.json"
        )),
    );
    let pages = PUBLISHED_AT
        .try_with(|url| url.to_string())
        .unwrap_or_else(|_| base.to_string());
    out.insert(
        "html_url".into(),
        json!(format!("{pages}/hc/{locale}/{kind}/{id}-{slug}")),
    );
    if let Value::Object(map) = record {
        for (key, value) in map {
            if key != "id" && key != "url" && key != "html_url" {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

macro_rules! hc_resource {
    ($name:ident, $table:expr, $one:literal, $many:literal) => {
        pub struct $name;

        impl Resource for $name {
            const TABLE: Table = $table;
            const ONE: &'static str = $one;
            const MANY: &'static str = $many;
            const ID_FIRST: bool = true;

            fn url(base: &str, id: i64) -> String {
                format!(
                    "{base}/api/v2/help_center/{}/{}/{id}.json",
                    help_center::DEFAULT_LOCALE,
                    $many
                )
            }

            fn render(record: Value, base: &str) -> Value {
                render_hc(record, base, $many)
            }

            fn write_stored(
                stored: &str,
                base: &str,
                out: &mut dyn super::stream::Out,
            ) -> Result<(), ApiError> {
                let record = crate::store::parse_stored(stored)?;
                out.write(&Self::render(record, base).to_string())
            }
        }
    };
}

hc_resource!(Categories, Table::Categories, "category", "categories");
hc_resource!(Sections, Table::Sections, "section", "sections");
hc_resource!(Articles, Table::Articles, "article", "articles");

impl Show for Categories {}

impl Create for Categories {
    const CREATE: CreateRule =
        |tx, caller, input| help_center::create_category(tx, caller, input, None);
}

impl Update for Categories {
    const UPDATE: UpdateRule = help_center::update_category;
}

impl Delete for Categories {
    const DELETE: DeleteRule = help_center::delete_category;
}

impl Show for Sections {}

impl Update for Sections {
    const UPDATE: UpdateRule = help_center::update_section;
}

impl Delete for Sections {
    const DELETE: DeleteRule = help_center::delete_section;
}

impl Update for Articles {
    const UPDATE: UpdateRule = help_center::update_article;
}

/// Deleting an article archives it (gone from the API and from search).
impl Delete for Articles {
    const DELETE: DeleteRule = help_center::archive_article;
}

fn by_position(params: &Params) -> Result<Sort, ApiError> {
    let column = match params.get("sort_by") {
        None | Some("position") => "position",
        Some("created_at") => "created_at",
        Some("updated_at") => "updated_at",
        Some(other) => {
            return Err(ApiError::bad_param(format!(
                "sort_by `{other}` is not supported by the sandbox: use position, created_at or updated_at"
            )));
        }
    };
    let descending = params.get("sort_order") == Some("desc");
    Ok(Sort {
        order: format!("{column}{}", if descending { ":desc" } else { "" }),
        column,
        descending,
    })
}

/// `?locale=` or the path's locale, as a filter.
fn locale_filter(params: &Params, path: Option<&str>) -> Result<Option<Filter>, ApiError> {
    match path.or(params.get("locale")) {
        None => Ok(None),
        Some(locale) => Ok(Some(Filter::Eq(
            "locale",
            Bind::Text(check_locale(locale)?),
        ))),
    }
}

/// Drafts are for agents.
fn article_filters(caller: Option<&Caller>) -> Vec<Filter> {
    if caller.is_some_and(Caller::is_agent) {
        Vec::new()
    } else {
        vec![Filter::Eq("draft", Bind::Int(0))]
    }
}

async fn list_of<R: Resource>(
    state: &AppState,
    base: &str,
    params: &Params,
    mut filters: Vec<Filter>,
    path: &str,
    locale: Option<&str>,
) -> Result<Response, ApiError> {
    let request = page_request(params)?;
    filters.extend(locale_filter(params, locale)?);
    // Lists are rendered as they stream from the store's thread: the address goes with them.
    let published_at = PUBLISHED_AT.try_with(Arc::clone).ok();
    let api = base.to_string();
    let serve = super::paging::serve_text(move |stored| match &published_at {
        Some(url) => PUBLISHED_AT.sync_scope(url.clone(), || R::serve_stored(stored, &api)),
        None => R::serve_stored(stored, &api),
    });
    Listing::new(base, params, request, filters)
        .sorted(by_position(params)?)
        .serve_live::<R>(state.store(), path, serve)
        .await
}

// ---- categories ----

pub async fn categories(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    list_of::<Categories>(
        &state,
        &base,
        &params,
        Vec::new(),
        "help_center/categories",
        None,
    )
    .await
}

pub async fn categories_in(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(locale): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let path = format!("help_center/{locale}/categories");
    list_of::<Categories>(&state, &base, &params, Vec::new(), &path, Some(&locale)).await
}

// ---- sections ----

pub async fn sections(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    list_of::<Sections>(
        &state,
        &base,
        &params,
        Vec::new(),
        "help_center/sections",
        None,
    )
    .await
}

pub async fn sections_in(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(locale): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let path = format!("help_center/{locale}/sections");
    list_of::<Sections>(&state, &base, &params, Vec::new(), &path, Some(&locale)).await
}

pub async fn sections_of_category(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    super::resource::fetch(state.store(), Table::Categories, id).await?;
    let filters = vec![Filter::Eq("category_id", Bind::Int(id))];
    let path = format!("help_center/categories/{id}/sections");
    list_of::<Sections>(&state, &base, &params, filters, &path, None).await
}

pub async fn create_section(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(category): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "section")?.clone();
    let record = state
        .store()
        .write(move |tx| help_center::create_section(tx, &caller, category, &input, None))
        .await?;
    Ok(Sections::created(record, &base))
}

// ---- articles ----

pub async fn articles(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let filters = article_filters(caller.as_ref());
    list_of::<Articles>(
        &state,
        &base,
        &params,
        filters,
        "help_center/articles",
        None,
    )
    .await
}

pub async fn articles_in(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    Path(locale): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let filters = article_filters(caller.as_ref());
    let path = format!("help_center/{locale}/articles");
    list_of::<Articles>(&state, &base, &params, filters, &path, Some(&locale)).await
}

pub async fn articles_of_section(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    super::resource::fetch(state.store(), Table::Sections, id).await?;
    let mut filters = article_filters(caller.as_ref());
    filters.push(Filter::Eq("section_id", Bind::Int(id)));
    let path = format!("help_center/sections/{id}/articles");
    list_of::<Articles>(&state, &base, &params, filters, &path, None).await
}

/// The sections of a category, as a filter on articles.
async fn in_category(state: &AppState, category: i64) -> Result<Filter, ApiError> {
    let sections = state
        .store()
        .read(move |reader| {
            crate::resources::fetch(reader, Table::Categories, category)?;
            Ok::<_, ApiError>(reader.find(
                Table::Sections,
                &[Filter::Eq("category_id", Bind::Int(category))],
                10_000,
            )?)
        })
        .await?;
    Ok(Filter::In(
        "section_id",
        sections
            .iter()
            .filter_map(|s| s["id"].as_i64())
            .map(Bind::Int)
            .collect(),
    ))
}

pub async fn articles_of_category(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let mut filters = article_filters(caller.as_ref());
    filters.push(in_category(&state, id).await?);
    let path = format!("help_center/categories/{id}/articles");
    list_of::<Articles>(&state, &base, &params, filters, &path, None).await
}

async fn show_article(
    state: &AppState,
    caller: Option<Caller>,
    base: &str,
    id: i64,
    locale: Option<&str>,
) -> Result<Response, ApiError> {
    let locale = locale.map(check_locale).transpose()?;
    let record = super::resource::fetch(state.store(), Table::Articles, id).await?;
    let wrong_locale = locale.is_some_and(|l| record["locale"].as_str() != Some(l.as_str()));
    if wrong_locale || !help_center::can_read_article(caller.as_ref(), &record) {
        return Err(ApiError::NotFound);
    }
    Ok(Articles::one(record, base))
}

pub async fn article(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    show_article(&state, caller, &base, id, None).await
}

pub async fn article_in(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    Path((locale, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = record_id(&id)?;
    show_article(&state, caller, &base, id, Some(&locale)).await
}

pub async fn create_article(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(section): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "article")?.clone();
    let record = state
        .store()
        .write(move |tx| help_center::create_article(tx, &caller, section, &input, None))
        .await?;
    Ok(Articles::created(record, &base))
}

/// `GET /help_center/articles/search?query=`: articles holding the query's words, best first,
/// each with a snippet; `locale`, `section`, `category` narrow it. Offset pages (25 by default,
/// at most 100).
pub async fn search(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let Some(query) = params.get("query").map(str::trim).filter(|q| !q.is_empty()) else {
        return Err(ApiError::bad_value(
            "query is required: the words to search the help center for, such as query=reset+password",
        ));
    };
    if query.contains('\0') {
        return Err(ApiError::bad_value("query must not contain NUL characters"));
    }
    let page = match params.get("page") {
        None => 1,
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| {
                ApiError::bad_param(format!(
                    "page must be an integer of at least 1, got `{raw}`"
                ))
            })?,
    };
    let per_page = match params.get("per_page") {
        None => 25,
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::bad_param(format!(
                    "per_page must be an integer between 1 and {MAX_PAGE_SIZE}, got `{raw}`"
                ))
            })?,
    };
    check_depth(page, per_page)?;
    let mut filters = article_filters(caller.as_ref());
    filters.extend(locale_filter(&params, None)?);
    if let Some(section) = params.get("section") {
        let section: i64 = section.trim().parse().map_err(|_| {
            ApiError::bad_value(format!("section must be a numeric id, got `{section}`"))
        })?;
        filters.push(Filter::Eq("section_id", Bind::Int(section)));
    }
    if let Some(category) = params.get("category") {
        let category: i64 = category.trim().parse().map_err(|_| {
            ApiError::bad_value(format!("category must be a numeric id, got `{category}`"))
        })?;
        filters.push(in_category(&state, category).await?);
    }
    let words = help_center::search_words(query);
    let (total, rows) = {
        let words = words.clone();
        state
            .store()
            .read(move |reader| {
                reader.search_articles(&ArticleSearch {
                    words: &words,
                    filters: &filters,
                    offset: (page - 1) * per_page,
                    limit: per_page,
                })
            })
            .await?
    };
    let results = rows
        .into_iter()
        .map(|(_, stored)| {
            let record = crate::store::parse_stored(&stored)?;
            let snippet =
                help_center::snippet(record["body"].as_str().unwrap_or_default(), &words, 220);
            let mut rendered = Articles::render(record, &base);
            rendered["result_type"] = json!("article");
            rendered["snippet"] = json!(snippet);
            Ok(rendered)
        })
        .collect::<Result<Vec<Value>, ApiError>>()?;
    let link = |page: i64| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &params.0 {
            if key != "page" && key != "per_page" {
                query.append_pair(key, value);
            }
        }
        query.append_pair("page", &page.to_string());
        query.append_pair("per_page", &per_page.to_string());
        format!(
            "{base}/api/v2/help_center/articles/search.json?{}",
            query.finish()
        )
    };
    let page_count = (total + per_page - 1) / per_page;
    Ok(axum::Json(json!({
        "results": results, "count": total,
        "next_page": (page * per_page < total).then(|| link(page + 1)),
        "previous_page": (page > 1).then(|| link(page - 1)),
        "page": page, "per_page": per_page, "page_count": page_count,
        "sort_by": "relevance", "sort_order": "desc"
    }))
    .into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). Anyone reads (drafts: agents); admins manage categories and sections, agents write articles.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents, Anyone};
    vec![
        Endpoint::get("/api/v2/help_center/categories", Anyone, categories),
        Endpoint::post(
            "/api/v2/help_center/categories",
            Admins,
            resource::create::<Categories>,
        ),
        Endpoint::get(
            "/api/v2/help_center/{locale}/categories",
            Anyone,
            categories_in,
        ),
        Endpoint::get(
            "/api/v2/help_center/categories/{id}",
            Anyone,
            resource::show::<Categories>,
        ),
        Endpoint::put(
            "/api/v2/help_center/categories/{id}",
            Admins,
            resource::update::<Categories>,
        ),
        Endpoint::delete(
            "/api/v2/help_center/categories/{id}",
            Admins,
            resource::delete::<Categories>,
        ),
        Endpoint::get(
            "/api/v2/help_center/categories/{id}/sections",
            Anyone,
            sections_of_category,
        ),
        Endpoint::post(
            "/api/v2/help_center/categories/{id}/sections",
            Admins,
            create_section,
        ),
        Endpoint::get(
            "/api/v2/help_center/categories/{id}/articles",
            Anyone,
            articles_of_category,
        ),
        Endpoint::get("/api/v2/help_center/sections", Anyone, sections),
        Endpoint::get("/api/v2/help_center/{locale}/sections", Anyone, sections_in),
        Endpoint::get(
            "/api/v2/help_center/sections/{id}",
            Anyone,
            resource::show::<Sections>,
        ),
        Endpoint::put(
            "/api/v2/help_center/sections/{id}",
            Admins,
            resource::update::<Sections>,
        ),
        Endpoint::delete(
            "/api/v2/help_center/sections/{id}",
            Admins,
            resource::delete::<Sections>,
        ),
        Endpoint::get(
            "/api/v2/help_center/sections/{id}/articles",
            Anyone,
            articles_of_section,
        ),
        Endpoint::post(
            "/api/v2/help_center/sections/{id}/articles",
            Agents,
            create_article,
        ),
        Endpoint::get("/api/v2/help_center/articles", Anyone, articles),
        Endpoint::get("/api/v2/help_center/articles/search", Anyone, search),
        Endpoint::get("/api/v2/help_center/{locale}/articles", Anyone, articles_in),
        Endpoint::get("/api/v2/help_center/articles/{id}", Anyone, article),
        Endpoint::get(
            "/api/v2/help_center/{locale}/articles/{id}",
            Anyone,
            article_in,
        ),
        Endpoint::put(
            "/api/v2/help_center/articles/{id}",
            Agents,
            resource::update::<Articles>,
        ),
        Endpoint::delete(
            "/api/v2/help_center/articles/{id}",
            Agents,
            resource::delete::<Articles>,
        ),
    ]
}
