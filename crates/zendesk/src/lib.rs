//! The async Zendesk Support API client: `ClientBuilder`, authentication, one handler per
//! resource, paging streams, retries and typed errors.
