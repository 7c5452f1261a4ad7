//! `client.organization_fields()`: list (cursor), show / update / delete by ID or key,
//! create, reorder.

use std::fmt;
use std::str::FromStr;

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{OrganizationField, OrganizationFieldId, Single};

use super::keyed;
use crate::client::{Client, NO_QUERY};
use crate::error::{Error, Result};
use crate::paging::{ListRequest, Paging};

/// How an organization field is addressed: by ID or by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrganizationFieldRef {
    /// The field's numeric `id`.
    Id(OrganizationFieldId),
    /// The field's `key`: letters, digits and underscores, not digits only.
    Key(String),
}

impl fmt::Display for OrganizationFieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Key(key) => f.write_str(key),
        }
    }
}

impl From<OrganizationFieldId> for OrganizationFieldRef {
    fn from(id: OrganizationFieldId) -> Self {
        Self::Id(id)
    }
}

impl FromStr for OrganizationFieldRef {
    type Err = Error;

    /// Digits are an ID; letters, digits and underscores (not digits only) are a key;
    /// anything else is refused.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return match s.parse::<u64>() {
                Ok(n) if n > 0 => Ok(Self::Id(OrganizationFieldId(n))),
                _ => Err(Error::InvalidRequest(format!(
                    "organization field ID {s:?} must be a positive integer such as \"12345\""
                ))),
            };
        }
        if !s.is_empty()
            && s.len() <= 255
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Ok(Self::Key(s.to_owned()));
        }
        Err(Error::InvalidRequest(format!(
            "organization field {s:?} is neither an ID (such as \"12345\") nor a key (letters, \
             digits and underscores, such as \"support_tier\")"
        )))
    }
}

/// Organization field requests. Get one with [`Client::organization_fields`].
#[derive(Debug, Clone, Copy)]
pub struct OrganizationFieldsHandler<'a> {
    client: &'a Client,
}

impl Client {
    /// Organization field requests.
    pub fn organization_fields(&self) -> OrganizationFieldsHandler<'_> {
        OrganizationFieldsHandler { client: self }
    }
}

impl OrganizationFieldsHandler<'_> {
    /// `GET /organization_fields`, cursor paging.
    pub fn list(&self) -> ListRequest<OrganizationField> {
        self.client.list("/organization_fields", Paging::Cursor)
    }

    /// `GET /organization_fields/{id or key}`.
    pub async fn show(&self, field: &OrganizationFieldRef) -> Result<OrganizationField> {
        let single: Single<OrganizationField> = self
            .client
            .send(Method::GET, &path(field)?, NO_QUERY, None::<&()>)
            .await?;
        Ok(single.record)
    }

    /// `POST /organization_fields` with `{"organization_field": field}` (`key`, `title`,
    /// `type` required by Zendesk).
    pub async fn create<B: Serialize + ?Sized>(&self, field: &B) -> Result<OrganizationField> {
        let single: Single<OrganizationField> = self
            .client
            .send(
                Method::POST,
                "/organization_fields",
                NO_QUERY,
                Some(&keyed("organization_field", field)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /organization_fields/{id or key}` with `{"organization_field": changes}`
    /// (`custom_field_options` is the full list).
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        field: &OrganizationFieldRef,
        changes: &B,
    ) -> Result<OrganizationField> {
        let single: Single<OrganizationField> = self
            .client
            .send(
                Method::PUT,
                &path(field)?,
                NO_QUERY,
                Some(&keyed("organization_field", changes)),
            )
            .await?;
        Ok(single.record)
    }

    /// `DELETE /organization_fields/{id or key}` (204).
    pub async fn delete(&self, field: &OrganizationFieldRef) -> Result<()> {
        let _: serde_json::Value = self
            .client
            .send(Method::DELETE, &path(field)?, NO_QUERY, None::<&()>)
            .await?;
        Ok(())
    }

    /// `PUT /organization_fields/reorder` with `{"organization_field_ids": [...]}`: the new
    /// order. At least one ID; no duplicates.
    pub async fn reorder(&self, ids: &[OrganizationFieldId]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::InvalidRequest(
                "reorder organization fields: give at least one field ID".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(Error::InvalidRequest(format!(
                "reorder organization fields: field ID {dup} is listed twice"
            )));
        }
        let _: serde_json::Value = self
            .client
            .send(
                Method::PUT,
                "/organization_fields/reorder",
                NO_QUERY,
                Some(&keyed("organization_field_ids", ids)),
            )
            .await?;
        Ok(())
    }
}

fn path(field: &OrganizationFieldRef) -> Result<String> {
    if let OrganizationFieldRef::Key(key) = field {
        // The variant's field is public: re-check a key built by hand before it enters a path.
        key.parse::<OrganizationFieldRef>()?;
    }
    Ok(format!("/organization_fields/{field}"))
}
