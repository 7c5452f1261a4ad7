//! The limits against real sockets on loopback, driven by raw HTTP/1.1 so each test controls
//! exactly what a slow, idle or greedy client sends. Every timeout is short (a few hundred
//! milliseconds) so each test finishes in a few seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http_serve::{Limits, Rejection, Server, ServerStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

fn app() -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/echo-len",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/slow",
            get(
                |Query(q): Query<std::collections::HashMap<String, u64>>| async move {
                    tokio::time::sleep(Duration::from_millis(q.get("ms").copied().unwrap_or(0)))
                        .await;
                    "slow done"
                },
            ),
        )
}

fn limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(5),
        body_read_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        max_connections: 64,
        max_body_bytes: 1024,
        shutdown_grace: Duration::from_secs(5),
    }
}

struct Running {
    addr: SocketAddr,
    stats: ServerStats,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(limits: Limits) -> Running {
    let listener = http_serve::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(listener, app(), limits).render_rejections_with(|r: Rejection| {
        (
            r.status(),
            [("content-type", "application/json")],
            format!(
                r#"{{"error":"rejected","description":"{}"}}"#,
                r.description()
            ),
        )
            .into_response()
    });
    let stats = server.stats();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stats,
        stop: Some(stop),
        task,
    }
}

/// One parsed HTTP/1.1 answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }
}

/// Reads one answer with a `Content-Length` body from `stream`.
async fn read_answer(stream: &mut TcpStream) -> std::io::Result<Answer> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let status = head[9..12].parse().unwrap();
    let mut answer = Answer {
        status,
        head,
        body: String::new(),
    };
    let length: usize = answer
        .header("content-length")
        .map(|v| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    answer.body = String::from_utf8_lossy(&body).to_string();
    Ok(answer)
}

async fn get_on(stream: &mut TcpStream, path: &str) -> std::io::Result<Answer> {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await?;
    read_answer(stream).await
}

/// A fresh connection, one GET, within `within`.
async fn fetch(addr: SocketAddr, path: &str, within: Duration) -> Answer {
    tokio::time::timeout(within, async {
        let mut stream = TcpStream::connect(addr).await?;
        get_on(&mut stream, path).await
    })
    .await
    .unwrap_or_else(|_| panic!("GET {path} not answered within {within:?}"))
    .unwrap()
}

/// Waits until the server closes `stream` (EOF or reset), reading and discarding; returns how
/// long that took, or `None` if it was still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 1024];
    let closed = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    closed.ok().map(|()| started.elapsed())
}

#[tokio::test]
async fn a_client_sending_its_headers_one_byte_at_a_time_is_closed_after_the_header_timeout() {
    let server = start(Limits {
        header_read_timeout: Duration::from_millis(400),
        ..limits()
    })
    .await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    let dripping = tokio::spawn(async move {
        let head = b"GET /hello HTTP/1.1\r\nHost: test\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut chunk = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(3), reader.read(&mut chunk))
        .await
        .expect("the slow connection must be closed within 3 s");
    let elapsed = started.elapsed();
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed without an answer: {read:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(350),
        "closed after {elapsed:?}, before the 400 ms header timeout"
    );
    dripping.abort();

    // A connection that sends nothing at all is closed on the same clock.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let closed = closed_within(&mut silent, Duration::from_secs(3)).await;
    assert!(
        closed.is_some_and(|d| d >= Duration::from_millis(350)),
        "silent connection closed after {closed:?}"
    );

    // Meanwhile the server still answers.
    assert_eq!(
        fetch(server.addr, "/hello", Duration::from_secs(2))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_header_one() {
    // Idle timeout longer than the header timeout: an idle connection outlives the header
    // timeout, then is closed at the idle timeout.
    let server = start(Limits {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1200),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let first = get_on(&mut stream, "/hello").await.unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.header("connection"), None, "kept alive");

    tokio::time::sleep(Duration::from_millis(700)).await;
    let second = get_on(&mut stream, "/hello").await.unwrap();
    assert_eq!(
        second.status, 200,
        "still open after 700 ms idle (header timeout 300 ms)"
    );

    let started = Instant::now();
    let closed = closed_within(&mut stream, Duration::from_secs(4)).await;
    let closed = closed.expect("the idle connection must be closed");
    assert!(
        closed >= Duration::from_millis(1000) && started.elapsed() < Duration::from_secs(3),
        "closed after {closed:?} idle, expected about 1.2 s"
    );
}

#[tokio::test]
async fn the_connection_cap_holds_while_normal_requests_keep_being_served() {
    let server = start(Limits {
        max_connections: 8,
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        ..limits()
    })
    .await;
    assert_eq!(server.stats.max_connections(), 8);

    // Sample the open-connection count all along.
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stats, peak) = (server.stats.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(stats.open_connections(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    // Twenty silent connections: more than the cap, none of them ever sends a byte.
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // Older than a second, they become the first to go when room is needed.
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let started = Instant::now();
    for _ in 0..30 {
        let answer = fetch(server.addr, "/hello", Duration::from_secs(3)).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, "hello");
    }
    let served_in = started.elapsed();
    sampler.abort();

    let peak = peak.load(Ordering::Relaxed);
    assert!(peak <= 8, "{peak} connections were open at once, cap 8");
    let mut closed = 0;
    for stream in &mut silent {
        if closed_within(stream, Duration::from_millis(20))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert!(
        closed >= 12,
        "only {closed} of 20 silent connections were closed to make room"
    );
    assert!(
        served_in < Duration::from_secs(10),
        "30 requests took {served_in:?}"
    );
}

#[tokio::test]
async fn requests_in_progress_are_never_evicted_and_new_connections_wait_for_a_slot() {
    let server = start(Limits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let addr = server.addr;
    let slow =
        |_| tokio::spawn(async move { fetch(addr, "/slow?ms=900", Duration::from_secs(5)).await });
    let slow: Vec<_> = (0..2).map(slow).collect();
    tokio::time::sleep(Duration::from_millis(150)).await;

    let started = Instant::now();
    let third = fetch(addr, "/hello", Duration::from_secs(5)).await;
    let waited = started.elapsed();
    assert_eq!(third.status, 200);
    assert!(
        waited >= Duration::from_millis(500),
        "the third connection was served after {waited:?}, before a busy one finished"
    );
    for task in slow {
        let answer = task.await.unwrap();
        assert_eq!((answer.status, answer.body.as_str()), (200, "slow done"));
    }
}

#[tokio::test]
async fn a_body_declared_larger_than_the_limit_is_a_413_in_the_callers_shape() {
    let server = start(limits()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let length = 10 * 1024 * 1024;
    stream
        .write_all(
            format!(
                "POST /echo-len HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
                 Content-Length: {length}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // The client keeps sending its 10 MB while the server answers: it must still read a 413,
    // not a connection reset.
    let sending = tokio::spawn(async move {
        let block = vec![b'x'; 64 * 1024];
        let mut sent = 0;
        while sent < length {
            if writer.write_all(&block).await.is_err() {
                break;
            }
            sent += block.len();
        }
        writer
    });
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "answer: {text:?}");
    assert!(text.to_ascii_lowercase().contains("connection: close"));
    assert!(
        text.contains(r#""error":"rejected""#) && text.contains("larger than 1024 bytes (1 KiB)"),
        "the caller's renderer shapes the answer: {text}"
    );
    let _ = sending.await;
}

#[tokio::test]
async fn a_chunked_body_crossing_the_limit_is_a_413_and_one_at_the_limit_is_served() {
    let server = start(limits()).await;

    let send_chunked = |chunks: usize| async move {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let mut request = String::from(
            "POST /echo-len HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        for _ in 0..chunks {
            request.push_str(&format!("100\r\n{}\r\n", "y".repeat(256)));
        }
        request.push_str("0\r\n\r\n");
        let _ = stream.write_all(request.as_bytes()).await;
        tokio::time::timeout(Duration::from_secs(3), read_answer(&mut stream))
            .await
            .expect("answered within 3 s")
            .unwrap()
    };

    let at_limit = send_chunked(4).await;
    assert_eq!((at_limit.status, at_limit.body.as_str()), (200, "1024"));

    let over = send_chunked(5).await;
    assert_eq!(over.status, 413, "{over:?}");
    assert_eq!(over.header("connection").as_deref(), Some("close"));
    assert!(
        over.body.contains("larger than 1024 bytes"),
        "{}",
        over.body
    );
}

#[tokio::test]
async fn a_body_that_stalls_is_a_408_after_the_body_timeout() {
    let server = start(Limits {
        body_read_timeout: Duration::from_millis(400),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /echo-len HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123456789",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(3), read_answer(&mut stream))
        .await
        .expect("answered within 3 s")
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(answer.status, 408, "{answer:?}");
    assert!(
        answer.body.contains("did not arrive within 0.4 s"),
        "{}",
        answer.body
    );
    assert!(
        elapsed >= Duration::from_millis(350),
        "answered after {elapsed:?}"
    );
    assert!(
        closed_within(&mut stream, Duration::from_secs(4))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn shutdown_lets_requests_in_progress_finish_and_closes_idle_connections() {
    let mut server = start(limits()).await;
    let addr = server.addr;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert_eq!(get_on(&mut idle, "/hello").await.unwrap().status, 200);
    let slow =
        tokio::spawn(async move { fetch(addr, "/slow?ms=700", Duration::from_secs(5)).await });
    tokio::time::sleep(Duration::from_millis(150)).await;

    let stopping = Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    // Idle and silent connections go at once, without waiting for their timeouts (5 s).
    assert!(
        closed_within(&mut idle, Duration::from_secs(2))
            .await
            .is_some()
    );
    assert!(
        closed_within(&mut silent, Duration::from_secs(2))
            .await
            .is_some()
    );

    let answer = slow.await.unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "slow done"));
    tokio::time::timeout(Duration::from_secs(3), &mut server.task)
        .await
        .expect("run() returns once the last request is done")
        .unwrap()
        .unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(3));
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn zero_limits_are_refused_naming_the_field() {
    let zero_timeout = Limits {
        idle_timeout: Duration::ZERO,
        ..Limits::default()
    };
    assert_eq!(
        zero_timeout.validate().unwrap_err(),
        "the idle timeout must be longer than zero"
    );
    let zero_cap = Limits {
        max_connections: 0,
        ..Limits::default()
    };
    assert!(zero_cap.validate().unwrap_err().contains("connection cap"));
    assert!(Limits::default().validate().is_ok());
    assert_eq!(
        Rejection::BodyTooLarge {
            limit: 2 * 1024 * 1024
        }
        .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn a_flood_of_reconnecting_silent_clients_does_not_lock_out_normal_ones() {
    // 200 clients that connect, say nothing and reconnect as soon as they are closed: far more
    // than the 32 slots, and more than the usual 128-deep accept queue.
    let server = start(Limits {
        max_connections: 32,
        header_read_timeout: Duration::from_secs(30),
        ..limits()
    })
    .await;
    let addr = server.addr;
    let flood: Vec<_> = (0..200)
        .map(|_| {
            tokio::spawn(async move {
                loop {
                    if let Ok(mut stream) = TcpStream::connect(addr).await {
                        let _ = closed_within(&mut stream, Duration::from_secs(60)).await;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let normal: Vec<_> = (0..5)
        .map(|_| tokio::spawn(async move { fetch(addr, "/hello", Duration::from_secs(4)).await }))
        .collect();
    for request in normal {
        assert_eq!(request.await.unwrap().status, 200);
    }
    let took = started.elapsed();
    assert!(server.stats.open_connections() <= 32);
    for task in flood {
        task.abort();
    }
    assert!(
        took < Duration::from_secs(4),
        "normal requests took {took:?}"
    );
}

/// Opens a request declaring a 100,000-byte body, sends one byte of it and holds the rest.
async fn stalled_body(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"POST /echo-len HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n0")
        .await?;
    Ok(stream)
}

#[tokio::test]
async fn a_flood_of_stalled_bodies_cannot_hold_every_slot() {
    // 80 clients, each opening a request with a large declared body, sending one byte and then
    // nothing, reconnecting whenever the server closes them: more than the 32 slots, with a
    // body timeout (30 s) far beyond the 5 s a normal client may wait.
    let server = start(Limits {
        max_connections: 32,
        body_read_timeout: Duration::from_secs(30),
        header_read_timeout: Duration::from_secs(30),
        max_body_bytes: 1024 * 1024,
        ..limits()
    })
    .await;
    let addr = server.addr;
    let cut = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..80)
        .map(|_| {
            let cut = cut.clone();
            tokio::spawn(async move {
                loop {
                    if let Ok(mut stream) = stalled_body(addr).await {
                        let answered =
                            tokio::time::timeout(Duration::from_secs(60), read_answer(&mut stream))
                                .await;
                        if let Ok(Ok(answer)) = answered {
                            assert_eq!(answer.status, 408, "{answer:?}");
                            assert!(answer.body.contains("KiB/s"), "{}", answer.body);
                            cut.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    // Let the flood take every slot and grow older than a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.stats.open_connections(), 32);

    // Normal clients, a GET and a POST with its body sent at once, are served within 5 s.
    let started = Instant::now();
    let mut waits = Vec::new();
    for _ in 0..5 {
        let asked = Instant::now();
        assert_eq!(
            fetch(addr, "/hello", Duration::from_secs(5)).await.body,
            "hello"
        );
        let posted = tokio::time::timeout(Duration::from_secs(5), async {
            let mut stream = TcpStream::connect(addr).await?;
            stream
                .write_all(b"POST /echo-len HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
                .await?;
            read_answer(&mut stream).await
        })
        .await
        .expect("a POST with its body answered within 5 s during the flood")
        .unwrap();
        assert_eq!((posted.status, posted.body.as_str()), (200, "3"));
        waits.push(asked.elapsed() / 2);
    }
    let took = started.elapsed();
    println!("normal requests during the stalled-body flood: {waits:?}");
    for task in flood {
        task.abort();
    }
    assert!(
        server.stats.open_connections() <= 32,
        "the cap held: {} open",
        server.stats.open_connections()
    );
    assert!(
        cut.load(Ordering::Relaxed) >= 10,
        "stalled bodies were answered 408 to make room"
    );
    assert!(took < Duration::from_secs(20), "10 requests took {took:?}");
}

#[tokio::test]
async fn a_slow_but_steady_upload_is_left_alone_while_there_is_room() {
    // The rate floor applies only when a slot is needed: with room to spare, a body sent
    // slowly is read to its end.
    let server = start(Limits {
        max_body_bytes: 1024,
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /echo-len HTTP/1.1\r\nHost: test\r\nContent-Length: 30\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..15 {
        stream.write_all(b"ab").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = read_answer(&mut stream).await.unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "30"));
}
