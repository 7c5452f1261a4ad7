//! Streamed answers: a JSON body written piece by piece from inside one read transaction (or
//! one statement, which needs none) and sent as it is written, so the memory an answer takes
//! stays flat whatever its records hold (a page of a hundred 2 MB tickets, an export page of a
//! thousand).
//!
//! An error before anything was sent is answered normally (a 400, a 500 in Zendesk's envelope);
//! an error after the first bytes left can only cut the body short, which a client sees as a
//! broken answer rather than a wrong one. A client that stops reading for [`SEND_TIMEOUT`] ends
//! the read (and frees its transaction).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::store::{Reader, Store};

/// Pieces smaller than this are gathered before they are sent (an answer this small goes out
/// whole, with its length).
const CHUNK: usize = 512 * 1024;
/// How long the reader waits for a client that stopped reading.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Chunks in flight between the reader and the connection.
const IN_FLIGHT: usize = 4;

type Chunk = Result<Bytes, std::io::Error>;

/// Somewhere a JSON body is written piece by piece: a streamed answer, or a string.
pub trait Out {
    fn write(&mut self, text: &str) -> Result<(), ApiError>;
}

impl Out for String {
    fn write(&mut self, text: &str) -> Result<(), ApiError> {
        self.push_str(text);
        Ok(())
    }
}

impl Out for BodyWriter {
    fn write(&mut self, text: &str) -> Result<(), ApiError> {
        BodyWriter::write(self, text)
    }
}

/// Where a streamed body is written, from a blocking read.
pub struct BodyWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Chunk>,
    /// Told once: the whole body when it fit before anything had to leave (answered with a
    /// length), None when the first bytes are about to stream, or the error that came before.
    ready: Option<oneshot::Sender<Result<Option<Bytes>, ApiError>>>,
    runtime: tokio::runtime::Handle,
}

impl BodyWriter {
    /// A piece larger than a chunk is sent a chunk at a time, so that a record of megabytes
    /// is never copied whole into the answer.
    pub fn write(&mut self, text: &str) -> Result<(), ApiError> {
        let mut rest = text.as_bytes();
        if self.buf.capacity() == 0 && !rest.is_empty() {
            // Taken by the last flush: a chunk's room is made only when something follows.
            self.buf.reserve_exact(CHUNK);
        }
        while !rest.is_empty() {
            let room = CHUNK.saturating_sub(self.buf.len()).max(1);
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buf.extend_from_slice(now);
            rest = later;
            if self.buf.len() >= CHUNK {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ApiError> {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Ok(None));
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        let tx = self.tx.clone();
        let sent = self
            .runtime
            .block_on(async move { tokio::time::timeout(SEND_TIMEOUT, tx.send(Ok(chunk))).await });
        match sent {
            Ok(Ok(())) => Ok(()),
            // The client went away or stopped reading: stop reading for it.
            _ => Err(ApiError::Internal(
                "the client stopped reading the answer".into(),
            )),
        }
    }

    /// After an error: answered as an error when nothing was sent yet, else the body is cut.
    fn fail(&mut self, error: ApiError) {
        match self.ready.take() {
            Some(ready) => {
                let _ = ready.send(Err(error));
            }
            None => {
                if let ApiError::Internal(detail) = &error {
                    tracing::error!(%detail, "a streamed answer failed after it started");
                }
                let _ = self
                    .tx
                    .try_send(Err(std::io::Error::other("the answer failed midway")));
            }
        }
    }
}

/// How the reads of an answer are run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// In one read transaction: every statement sees the same moment.
    Transaction,
    /// One statement, which sees one moment by itself ([`Store::read_alone`]): on PostgreSQL
    /// no `BEGIN` and `COMMIT`, two round trips of three.
    OneStatement,
}

/// Answers with the JSON body `produce` writes inside one read transaction.
pub async fn respond<F>(store: &Store, produce: F) -> Result<Response, ApiError>
where
    F: FnOnce(&mut dyn Reader, &mut BodyWriter) -> Result<(), ApiError> + Send + 'static,
{
    respond_reading(store, Reads::Transaction, produce).await
}

/// Answers with the JSON body `produce` writes, its reads run as `reads` says.
pub async fn respond_reading<F>(
    store: &Store,
    reads: Reads,
    produce: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(&mut dyn Reader, &mut BodyWriter) -> Result<(), ApiError> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
    let (ready_tx, ready_rx) = oneshot::channel();
    let runtime = tokio::runtime::Handle::current();
    let store = store.clone();
    let reading = tokio::spawn(async move {
        let job = move |reader: &mut dyn Reader| {
            let mut out = BodyWriter {
                buf: Vec::with_capacity(16 * 1024),
                tx,
                ready: Some(ready_tx),
                runtime,
            };
            match produce(reader, &mut out) {
                // It all fit in the first chunk: answered whole, with its length.
                Ok(()) if out.ready.is_some() => {
                    if let Some(ready) = out.ready.take() {
                        let _ = ready.send(Ok(Some(Bytes::from(std::mem::take(&mut out.buf)))));
                    }
                }
                Ok(()) => {
                    if let Err(error) = out.flush() {
                        out.fail(error);
                    }
                }
                Err(error) => out.fail(error),
            }
            Ok::<(), ApiError>(())
        };
        match reads {
            Reads::Transaction => store.read(job).await,
            Reads::OneStatement => store.read_alone(job).await,
        }
    });
    let json = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    match ready_rx.await {
        Ok(Ok(Some(whole))) => return Ok((json, whole).into_response()),
        Ok(Ok(None)) => {}
        Ok(Err(error)) => return Err(error),
        // The read ended without a word: the store failed it (closed, or a panic).
        Err(_) => {
            return Err(match reading.await {
                Ok(Err(error)) => error,
                _ => ApiError::Internal("the read behind an answer stopped".into()),
            });
        }
    }
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    Ok((json, body).into_response())
}
