//! `client.organization_fields()`: list (cursor), show / update / delete by ID or key,
//! create, reorder.

use std::fmt;
use std::str::FromStr;

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{OrganizationField, OrganizationFieldId};

use super::keyed;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_nothing, read_record};

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

/// Organization field requests. Get one with [`Client::organization_fields`] or
/// [`Detached::organization_fields`].
#[derive(Debug, Clone)]
pub struct OrganizationFieldsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Organization field requests.
    pub fn organization_fields(&self) -> OrganizationFieldsHandler {
        OrganizationFieldsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Organization field requests as plain values.
    pub fn organization_fields(self) -> OrganizationFieldsHandler<Detached> {
        OrganizationFieldsHandler { client: self }
    }
}

impl<C: Clone> OrganizationFieldsHandler<C> {
    /// A request on the field's path; a key built by hand that is not a key is refused.
    fn on_field<T>(
        &self,
        method: Method,
        field: &OrganizationFieldRef,
        read: Reader<T>,
    ) -> Request<T, C> {
        let check = match field {
            // The variant's field is public: re-check a key built by hand before it enters a path.
            OrganizationFieldRef::Key(key) => key.parse::<OrganizationFieldRef>().map(drop),
            OrganizationFieldRef::Id(_) => Ok(()),
        };
        Request::new(
            self.client.clone(),
            method,
            format!("/organization_fields/{field}"),
            read,
        )
        .refuse_on(check)
    }

    /// `GET /organization_fields`, cursor paging.
    pub fn list(&self) -> ListRequest<OrganizationField, C> {
        ListRequest::new(self.client.clone(), "/organization_fields", Paging::Cursor)
    }

    /// `GET /organization_fields/{id or key}`.
    pub fn show(&self, field: &OrganizationFieldRef) -> Request<OrganizationField, C> {
        self.on_field(Method::GET, field, read_record::<OrganizationField>)
    }

    /// `POST /organization_fields` with `{"organization_field": field}` (`key`, `title`,
    /// `type` required by Zendesk).
    pub fn create<B: Serialize + ?Sized>(&self, field: &B) -> Request<OrganizationField, C> {
        Request::new(
            self.client.clone(),
            Method::POST,
            "/organization_fields",
            read_record::<OrganizationField>,
        )
        .json(&keyed("organization_field", field))
    }

    /// `PUT /organization_fields/{id or key}` with `{"organization_field": changes}`
    /// (`custom_field_options` is the full list).
    pub fn update<B: Serialize + ?Sized>(
        &self,
        field: &OrganizationFieldRef,
        changes: &B,
    ) -> Request<OrganizationField, C> {
        self.on_field(Method::PUT, field, read_record::<OrganizationField>)
            .json(&keyed("organization_field", changes))
    }

    /// `DELETE /organization_fields/{id or key}` (204).
    pub fn delete(&self, field: &OrganizationFieldRef) -> Request<(), C> {
        self.on_field(Method::DELETE, field, read_nothing)
    }

    /// `PUT /organization_fields/reorder` with `{"organization_field_ids": [...]}`: the new
    /// order. At least one ID; no duplicates.
    pub fn reorder(&self, ids: &[OrganizationFieldId]) -> Request<(), C> {
        let mut seen = std::collections::HashSet::new();
        let check = if ids.is_empty() {
            Err(Error::InvalidRequest(
                "reorder organization fields: give at least one field ID".into(),
            ))
        } else if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
            Err(Error::InvalidRequest(format!(
                "reorder organization fields: field ID {dup} is listed twice"
            )))
        } else {
            Ok(())
        };
        Request::new(
            self.client.clone(),
            Method::PUT,
            "/organization_fields/reorder",
            read_nothing,
        )
        .json(&keyed("organization_field_ids", ids))
        .refuse_on(check)
    }
}
