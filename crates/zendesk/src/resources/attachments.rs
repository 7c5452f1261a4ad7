//! `client.attachments()`: uploading a file (`POST /uploads`: its token goes in a comment's
//! `uploads`), deleting an upload not used yet, and reading an attachment's record. The file
//! itself is fetched with [`Client::download`] from the attachment's `content_url`.

use reqwest::Method;
use zendesk_types::{Attachment, AttachmentId, Upload};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::request::{Detached, Reader, Request, read_nothing, read_record};

/// Attachment requests. Get one with [`Client::attachments`] or [`Detached::attachments`].
#[derive(Debug, Clone)]
pub struct AttachmentsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Upload and attachment requests.
    pub fn attachments(&self) -> AttachmentsHandler {
        AttachmentsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Upload and attachment requests as plain values.
    pub fn attachments(self) -> AttachmentsHandler<Detached> {
        AttachmentsHandler { client: self }
    }
}

/// A file name as Zendesk takes it: no path, no control characters.
fn check_file_name(name: &str) -> Result<()> {
    let bad = name.trim().is_empty()
        || name.len() > 255
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(Error::InvalidRequest(format!(
            "file name {name:?} must be a name such as \"report.pdf\" (no path, at most 255 bytes)"
        )));
    }
    Ok(())
}

impl<C: Clone> AttachmentsHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `POST /uploads?filename=`: sends `bytes` as a file named `file_name` of `content_type`;
    /// `token` adds it to an upload already started. Answers the upload (its token and files).
    pub fn upload(
        &self,
        file_name: &str,
        content_type: &str,
        bytes: impl Into<bytes::Bytes>,
        token: Option<&str>,
    ) -> Request<Upload, C> {
        let mut request = self
            .request(Method::POST, "/uploads", read_record::<Upload>)
            .param("filename", file_name)
            .file(bytes.into(), content_type)
            .refuse_on(check_file_name(file_name));
        if let Some(token) = token.filter(|t| !t.trim().is_empty()) {
            request = request.param("token", token.trim());
        }
        request
    }

    /// `DELETE /uploads/{token}`: removes an upload no comment has used (204).
    pub fn delete_upload(&self, token: &str) -> Request<(), C> {
        let request = self.request(
            Method::DELETE,
            format!("/uploads/{}", token.trim()),
            read_nothing,
        );
        let valid = !token.trim().is_empty()
            && token
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            request
        } else {
            request.refuse(format!("upload token {token:?} is not a token"))
        }
    }

    /// `GET /attachments/{id}`.
    pub fn show(&self, id: AttachmentId) -> Request<Attachment, C> {
        self.request(
            Method::GET,
            format!("/attachments/{id}"),
            read_record::<Attachment>,
        )
    }
}
