//! Following bulk jobs: `wait` to completion with progress reports, and to timeout with the
//! last status carried in the error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};
use zendesk::types::{JobState, JobStatusId};
use zendesk::{Error, WaitOptions};

use crate::common;

fn job_id() -> JobStatusId {
    "V3-8b726e606741012ffc2d782bcb7848fe"
        .parse()
        .expect("valid job id")
}

#[tokio::test]
async fn wait_follows_a_job_to_completion_reporting_progress() {
    let server = common::server().await;
    let id = job_id();
    let job_path = format!("/api/v2/job_statuses/{id}");
    Mock::given(method("GET"))
        .and(path(job_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::job(
            id.as_str(),
            "queued",
            None,
        )))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(job_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::job(
            id.as_str(),
            "working",
            Some(1),
        )))
        .up_to_n_times(1)
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(job_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::job(
            id.as_str(),
            "completed",
            Some(2),
        )))
        .with_priority(3)
        .expect(1)
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let options = WaitOptions::new(Duration::from_secs(10))
        .poll_interval(Duration::from_millis(10), Duration::from_millis(40))
        .on_progress(move |job| {
            sink.lock()
                .expect("lock")
                .push((job.status.as_str().to_owned(), job.progress))
        });
    let done = common::client(&server)
        .job_statuses()
        .wait(&id, options)
        .await
        .expect("completed");
    assert_eq!(done.status, JobState::Completed);
    assert_eq!(done.result_items().len(), 2);
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(
        seen,
        vec![
            ("queued".to_owned(), None),
            ("working".to_owned(), Some(1)),
            ("completed".to_owned(), Some(2))
        ]
    );
}

#[tokio::test]
async fn wait_times_out_with_the_last_status() {
    let server = common::server().await;
    let id = job_id();
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/job_statuses/{id}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::job(
            id.as_str(),
            "working",
            Some(1),
        )))
        .expect(2..)
        .mount(&server)
        .await;
    let options = WaitOptions::new(Duration::from_millis(150))
        .poll_interval(Duration::from_millis(20), Duration::from_millis(50));
    let started = std::time::Instant::now();
    let err = common::client(&server)
        .job_statuses()
        .wait(&id, options)
        .await
        .expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
    match &err {
        Error::JobTimeout { last, waited } => {
            assert_eq!(last.status, JobState::Working);
            assert_eq!(last.progress, Some(1));
            assert!(*waited >= Duration::from_millis(150), "{waited:?}");
        }
        other => panic!("expected JobTimeout, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(id.as_str()) && text.contains("still working") && text.contains("1 of 2"),
        "{text}"
    );
}

#[tokio::test]
async fn show_many_job_statuses() {
    let server = common::server().await;
    let id = job_id();
    let body = serde_json::json!({"job_statuses": [common::job(id.as_str(), "completed", Some(2))["job_status"].clone()]});
    Mock::given(method("GET"))
        .and(path("/api/v2/job_statuses/show_many"))
        .and(query_param("ids", format!("{id},abc")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let other: JobStatusId = "abc".parse().expect("valid");
    let jobs = common::client(&server)
        .job_statuses()
        .show_many(&[id.clone(), other])
        .await
        .expect("ok");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, id);
}
