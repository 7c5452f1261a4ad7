//! The MCP server: the zd tool registry exposed over the Model Context Protocol, on stdio and
//! on streamable HTTP. The only crate that depends on rmcp.
//!
//! - [`schema`]: registry declarations -> MCP tool descriptions (schemas, annotations).
//! - [`guides`]: the prompts (`triage-ticket`, `draft-reply`) and the resource template
//!   `zendesk://tickets/{id}` (a ticket with its conversation as text).
//! - [`ToolSelection`]: which tools a server exposes (`--toolsets`, `--tools`, `--read-only`).
//! - [`HostPolicy`]: what the host asks of a model's call before it runs (who sees a comment;
//!   a person's approval, `--require-approval`).
//! - [`ZendeskMcpServer`]: the request handler, transport-agnostic.
//! - [`serve_stdio`] and [`http::HttpServer`]: the two transports; [`sessions`] bounds the
//!   HTTP transport's sessions.

pub mod guides;
pub mod http;
mod policy;
pub mod schema;
mod selection;
mod server;
pub mod sessions;

use std::{future::Future, net::SocketAddr};

use rmcp::ServiceExt;

pub use http::{
    HttpOptions, HttpServer, MCP_PATH, MIN_REMOTE_TOKEN_CHARS, McpApp, ServerLimits, TlsFiles,
    WrongTokens,
};
pub use policy::{Approval, HostPolicy, Refusal};
/// Re-exported so callers can build [`HttpOptions`] without depending on `secrecy` themselves.
pub use secrecy::SecretString;
pub use selection::{SelectionError, ToolSelection};
pub use server::{ZendeskMcpServer, prepare_arguments, to_call_tool_result};
pub use sessions::{SessionLimits, Sessions};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the MCP session did not start: {0}")]
    Initialize(String),
    #[error("the MCP server stopped unexpectedly: {0}")]
    Runtime(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Serve MCP on this process's stdin/stdout until the client closes the connection or
/// `shutdown` completes. Nothing but protocol messages may be written to stdout meanwhile.
pub async fn serve_stdio(
    server: ZendeskMcpServer,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    serve_transport(server, rmcp::transport::stdio_pipes(), shutdown).await
}

/// Serve MCP over any byte stream pair (stdio, a pipe, an in-memory duplex in tests).
pub async fn serve_transport<R, W>(
    server: ZendeskMcpServer,
    transport: (R, W),
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    tokio::pin!(shutdown);
    let running = tokio::select! {
        running = server.serve(transport) => match running {
            Ok(running) => running,
            // A client that leaves before initializing is not a server failure.
            Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
            Err(error) => return Err(ServeError::Initialize(error.to_string())),
        },
        () = &mut shutdown => return Ok(()),
    };
    let cancel = running.cancellation_token();
    tokio::select! {
        quit = running.waiting() => {
            quit.map(|_| ()).map_err(|error| ServeError::Runtime(error.to_string()))
        }
        () = &mut shutdown => {
            cancel.cancel();
            Ok(())
        }
    }
}
