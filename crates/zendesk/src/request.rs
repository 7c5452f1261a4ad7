//! Requests as values (async-stripe's shape): every handler method builds a [`Request`] (the
//! method, the path under `/api/v2`, the query, the JSON body, and how to read Zendesk's
//! answer) that can be inspected before anything is sent.
//!
//! A request built from a client (`client.tickets().show(id)`) is sent with `.await` (it is
//! `IntoFuture`) or `.send()`. A request built from [`Detached`] (`Detached.tickets().show(id)`)
//! belongs to no client: it is a plain value, for plans decided before a client exists (the
//! tools refuse bad input this way without any I/O), and is sent later with
//! [`Request::send_with`] or bound with [`Request::bind`].
//!
//! A handler that refuses its input (101 IDs, a bad sort) still returns a request: the refusal
//! is kept in it, [`Request::check`] reports it, and sending it fails with
//! [`Error::InvalidRequest`] before anything goes on the wire.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use zendesk_types::{OffsetPage, RecordKey, SearchCount, Single};

use crate::client::{Client, check_path};
use crate::error::{Error, Result};

/// The owner of requests that belong to no client: `Detached.tickets().show(id)` builds the
/// same request as `client.tickets().show(id)`, without a client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Detached;

/// Where decoding an answer failed: the serde path and serde's message.
#[derive(Debug)]
pub(crate) struct DecodeFailure {
    pub field: String,
    pub message: String,
}

/// Reads Zendesk's answer (the whole body; empty for `204 No Content`) into `T`.
pub(crate) type Reader<T> = fn(&[u8]) -> std::result::Result<T, DecodeFailure>;

/// One Zendesk request, built but not sent. `C` is [`Client`] for a request that can be sent
/// as is, or [`Detached`].
///
/// `Debug` shows the method, path and query, never the body (it may carry a user's details).
#[must_use = "a Request does nothing until sent (.await, send(), or send_with(&client))"]
pub struct Request<T, C = Client> {
    client: C,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    refused: Option<String>,
    read: Reader<T>,
}

impl<T, C: Clone> Clone for Request<T, C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            body: self.body.clone(),
            refused: self.refused.clone(),
            read: self.read,
        }
    }
}

impl<T, C> fmt::Debug for Request<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body", &self.body.as_ref().map(|_| "<json>"))
            .field("refused", &self.refused)
            .finish()
    }
}

impl<T, C> Request<T, C> {
    pub(crate) fn new(client: C, method: Method, path: impl Into<String>, read: Reader<T>) -> Self {
        Self {
            client,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            refused: None,
            read,
        }
    }

    /// Sets the JSON body; a value that is not JSON is a refusal, reported on send.
    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_value(body) {
            Ok(value) => self.body = Some(value),
            Err(error) => {
                let message = format!(
                    "the body of {} {} is not JSON: {error}",
                    self.method, self.path
                );
                self = self.refuse(message);
            }
        }
        self
    }

    /// Keeps the first refusal: the request will not be sent.
    pub(crate) fn refuse(mut self, message: impl Into<String>) -> Self {
        self.refused.get_or_insert(message.into());
        self
    }

    /// Refuses with the message of an `InvalidRequest`-style check that failed.
    pub(crate) fn refuse_on(self, check: Result<()>) -> Self {
        match check {
            Ok(()) => self,
            Err(Error::InvalidRequest(message)) => self.refuse(message),
            Err(other) => self.refuse(other.to_string()),
        }
    }

    /// Adds a query parameter, percent-encoded on send.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path under `/api/v2`, starting with `/` (`/tickets/42`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters, in the order they will be sent.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The JSON body, when the request has one.
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// Whether the request would be sent: `Err` with the reason it was refused (bad input, or
    /// a path that is not a Zendesk API path). Checked again on send.
    pub fn check(&self) -> Result<()> {
        if let Some(message) = &self.refused {
            return Err(Error::InvalidRequest(message.clone()));
        }
        check_path(&self.path)
    }

    /// The same request, answered with Zendesk's whole body as JSON (`null` for 204) instead of
    /// the typed record: for callers that pass Zendesk's JSON on untouched.
    pub fn raw(self) -> Request<Value, C> {
        Request {
            client: self.client,
            method: self.method,
            path: self.path,
            query: self.query,
            body: self.body,
            refused: self.refused,
            read: read_json::<Value>,
        }
    }

    fn detach(self) -> (C, Request<T, Detached>) {
        (
            self.client,
            Request {
                client: Detached,
                method: self.method,
                path: self.path,
                query: self.query,
                body: self.body,
                refused: self.refused,
                read: self.read,
            },
        )
    }
}

impl<T> Request<T, Detached> {
    /// This request on `client`, ready to send.
    pub fn bind(self, client: &Client) -> Request<T, Client> {
        Request {
            client: client.clone(),
            method: self.method,
            path: self.path,
            query: self.query,
            body: self.body,
            refused: self.refused,
            read: self.read,
        }
    }

    /// Sends this request with `client` (retrying per its policy) and reads the answer.
    pub async fn send_with(self, client: &Client) -> Result<T> {
        self.check()?;
        let wire = client.request(self.method, &self.path, &self.query, self.body.as_ref())?;
        let response = client.execute(&wire).await?;
        (self.read)(&response.body).map_err(|failure| Error::Decode {
            method: wire.method.to_string(),
            path: wire.path.clone(),
            field: failure.field,
            message: failure.message,
        })
    }
}

impl<T> Request<T, Client> {
    /// Sends the request (retrying per the client's policy) and reads the answer. `.await` on
    /// the request does the same.
    pub async fn send(self) -> Result<T> {
        let (client, request) = self.detach();
        request.send_with(&client).await
    }

    /// The request without its client, as a plain value.
    pub fn detached(self) -> Request<T, Detached> {
        self.detach().1
    }
}

impl<T: Send + 'static> IntoFuture for Request<T, Client> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Decodes a body into `R`, naming the failing field; an empty body (204) is JSON `null`.
pub(crate) fn read_json<R: DeserializeOwned>(body: &[u8]) -> std::result::Result<R, DecodeFailure> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| DecodeFailure {
        field: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

/// The record under its singular key: `{"ticket": {...}}` gives the ticket.
pub(crate) fn read_record<R: DeserializeOwned + RecordKey>(
    body: &[u8],
) -> std::result::Result<R, DecodeFailure> {
    read_json::<Single<R>>(body).map(Single::into_inner)
}

/// The records of an unpaged list (`show_many`): `{"tickets": [...]}`.
pub(crate) fn read_items<R: DeserializeOwned + zendesk_types::ListKey>(
    body: &[u8],
) -> std::result::Result<Vec<R>, DecodeFailure> {
    read_json::<OffsetPage<R>>(body).map(|page| page.items)
}

/// Nothing worth reading (a delete): any JSON answer, or none, is fine.
pub(crate) fn read_nothing(body: &[u8]) -> std::result::Result<(), DecodeFailure> {
    read_json::<Value>(body).map(drop)
}

/// `{"count": N}`.
pub(crate) fn read_count(body: &[u8]) -> std::result::Result<u64, DecodeFailure> {
    read_json::<SearchCount>(body).map(|count| count.count)
}
