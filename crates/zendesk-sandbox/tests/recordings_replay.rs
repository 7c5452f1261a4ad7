//! Replays the real Zendesk recordings (zenpy's cassettes, read at run time from
//! `shared/reference/zendesk-recordings`) against the sandbox, mapping recorded IDs onto the
//! sandbox's, and requires the same status codes and response shapes (see `replay::shape`).
//!
//! The endpoints the sandbox serves are compared; the rest (brands, custom roles, tags, ticket
//! fields, audits, group memberships) are skipped and counted by reason. Known differences are
//! listed in [`KNOWN_GAPS`], each with its cause and the sandbox fix it needs: the test fails on
//! any other difference, and on a gap that no longer occurs (so the list only shrinks).
//! Run with `-- --nocapture` for the summary table.

mod replay;

use std::collections::{BTreeMap, BTreeSet};

use replay::recording::{Recording, load_all, recordings_dir};
use replay::runner::{OUT_OF_SCOPE, Outcome, Verdict, replay_test};
use replay::shape::{NullEvidence, compare_bodies};
use serde_json::json;

/// A difference the sandbox is known to have today.
struct Gap {
    /// The recorded test (`Class.test_name`, the file name up to `-`), or `*` for every test.
    test: &'static str,
    /// Text every matching difference contains.
    diff: &'static str,
    /// Why the sandbox differs, and what fixes it.
    why: &'static str,
}

/// Empty today: every difference found so far (tickets without brand, form and custom status,
/// audit metadata without the caller's address, job statuses without `job_type`, a permanent
/// delete without its job, `/users/me` without `authenticity_token`) has been fixed in the
/// sandbox. Add an entry only with its cause and the fix it needs.
const KNOWN_GAPS: &[Gap] = &[];

/// Relevant interactions the replay cannot send as recorded, each with its cause. Any other
/// such skip fails the test: a broken ID mapping must not pass as "skipped".
const KNOWN_SKIPS: &[(&str, &str, &str)] = &[];

fn gap_for(test: &str, diff: &str) -> Option<usize> {
    KNOWN_GAPS
        .iter()
        .position(|g| (g.test == "*" || g.test == test) && diff.contains(g.diff))
}

/// The recordings grouped by zenpy test, each test's tearDown cassette after its body.
fn tests(recordings: &[Recording]) -> BTreeMap<String, Vec<&Recording>> {
    let mut tests: BTreeMap<String, Vec<&Recording>> = BTreeMap::new();
    for recording in recordings {
        tests
            .entry(recording.test_name().to_string())
            .or_default()
            .push(recording);
    }
    for files in tests.values_mut() {
        files.sort_by_key(|r| (r.is_teardown(), r.name.clone()));
    }
    tests
}

#[derive(Default)]
struct FileRow {
    interactions: usize,
    matched: usize,
    known: usize,
    mismatched: usize,
    skipped: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_replay_with_the_same_statuses_and_shapes() {
    let Some(dir) = recordings_dir() else { return };
    let recordings = match load_all(&dir) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(
        !recordings.is_empty(),
        "no recordings in `{}`: the replay needs zenpy's cassettes",
        dir.display()
    );

    let mut nulls = NullEvidence::default();
    for interaction in recordings.iter().flat_map(|r| &r.interactions) {
        if let Some(body) = &interaction.response_body {
            nulls.observe(body);
        }
    }

    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    for (test, files) in tests(&recordings) {
        match replay_test(&files, &nulls).await {
            Ok(done) => outcomes.extend(done.into_iter().map(|o| (test.clone(), o))),
            Err(e) => panic!("replaying `{test}` failed: {e}"),
        }
    }

    let mut rows: BTreeMap<String, FileRow> = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut gap_hits = vec![0usize; KNOWN_GAPS.len()];
    let mut new_diffs: Vec<String> = Vec::new();
    let mut skip_hits = vec![0usize; KNOWN_SKIPS.len()];
    let mut unexpected_skips: Vec<String> = Vec::new();
    for (test, outcome) in &outcomes {
        let row = rows.entry(outcome.file.clone()).or_default();
        row.interactions += 1;
        match &outcome.verdict {
            Verdict::Matched => row.matched += 1,
            Verdict::Skipped(reason) => {
                row.skipped += 1;
                *skipped.entry(reason.clone()).or_default() += 1;
                if !reason.starts_with(OUT_OF_SCOPE) {
                    match KNOWN_SKIPS
                        .iter()
                        .position(|(t, r, _)| *t == test && reason == r)
                    {
                        Some(k) => skip_hits[k] += 1,
                        None => unexpected_skips.push(format!(
                            "{} #{} {} {}: {reason}",
                            outcome.file, outcome.index, outcome.method, outcome.path
                        )),
                    }
                }
            }
            Verdict::Mismatched(diffs) => {
                let unknown: Vec<&String> = diffs
                    .iter()
                    .filter(|d| match gap_for(test, d) {
                        Some(g) => {
                            gap_hits[g] += 1;
                            false
                        }
                        None => true,
                    })
                    .collect();
                if unknown.is_empty() {
                    row.known += 1;
                } else {
                    row.mismatched += 1;
                    let path: String = outcome.path.chars().take(90).collect();
                    new_diffs.push(format!(
                        "{} #{} {} {path}\n      {}",
                        outcome.file,
                        outcome.index,
                        outcome.method,
                        unknown
                            .iter()
                            .map(|d| d.as_str())
                            .collect::<Vec<_>>()
                            .join("\n      ")
                    ));
                }
            }
        }
    }

    println!(
        "\n{:<100} {:>5} {:>5} {:>5} {:>5} {:>5}",
        "recording", "total", "match", "known", "DIFF", "skip"
    );
    for (file, row) in &rows {
        println!(
            "{file:<100} {:>5} {:>5} {:>5} {:>5} {:>5}",
            row.interactions, row.matched, row.known, row.mismatched, row.skipped
        );
    }
    let sum = |f: fn(&FileRow) -> usize| rows.values().map(f).sum::<usize>();
    let replayed = rows
        .values()
        .filter(|r| r.matched + r.known + r.mismatched > 0)
        .count();
    let compared = sum(|r| r.matched + r.known + r.mismatched);
    println!(
        "\nfiles: {} ({replayed} replayed); interactions: {}; compared: {compared}; matched: {}; \
         known gaps: {}; new mismatches: {}; skipped: {}",
        rows.len(),
        sum(|r| r.interactions),
        sum(|r| r.matched),
        sum(|r| r.known),
        sum(|r| r.mismatched),
        sum(|r| r.skipped),
    );
    println!("skipped by reason:");
    for (reason, count) in &skipped {
        println!("  {count:>5}  {reason}");
    }
    println!("known gaps (interaction differences covered):");
    for (gap, hits) in KNOWN_GAPS.iter().zip(&gap_hits) {
        println!("  {hits:>5}  [{}] {}: {}", gap.test, gap.diff, gap.why);
    }
    println!("known skips of relevant interactions:");
    for ((test, reason, why), hits) in KNOWN_SKIPS.iter().zip(&skip_hits) {
        println!("  {hits:>5}  [{test}] {reason}: {why}");
    }
    for skip in &unexpected_skips {
        println!("UNEXPECTED SKIP {skip}");
    }
    for diff in &new_diffs {
        println!("MISMATCH {diff}");
    }

    assert!(compared > 0, "no interaction was compared");
    assert!(
        new_diffs.is_empty(),
        "{} interactions differ from Zendesk's recordings (first: {})",
        new_diffs.len(),
        new_diffs.first().map(String::as_str).unwrap_or_default()
    );
    assert!(
        unexpected_skips.is_empty(),
        "relevant interactions could not be replayed: {unexpected_skips:#?}"
    );
    let stale_skips: Vec<&str> = KNOWN_SKIPS
        .iter()
        .zip(&skip_hits)
        .filter(|(_, hits)| **hits == 0)
        .map(|((test, reason, _), _)| if reason.is_empty() { *test } else { *reason })
        .collect();
    assert!(
        stale_skips.is_empty(),
        "these known skips no longer occur: remove them from KNOWN_SKIPS: {stale_skips:?}"
    );
    let stale: Vec<String> = KNOWN_GAPS
        .iter()
        .zip(&gap_hits)
        .filter(|(_, hits)| **hits == 0)
        .map(|(g, _)| format!("[{}] {}", g.test, g.diff))
        .collect();
    assert!(
        stale.is_empty(),
        "these known gaps no longer occur: remove them from KNOWN_GAPS: {stale:?}"
    );
}

/// The comparer itself: it must notice what the replay relies on it to notice.
#[test]
fn shape_comparison_flags_missing_keys_wrong_kinds_and_envelopes() {
    let none = NullEvidence::default();
    let recorded = json!({
        "tickets": [
            {"id": 1, "subject": "a", "assignee_id": null, "via": {"channel": "api"}, "tags": ["x"]},
            {"id": 2, "subject": "b", "assignee_id": 7, "via": {"channel": "web"}, "tags": []}
        ],
        "meta": {"has_more": true, "after_cursor": "abc"},
        "links": {"next": "https://x/api/v2/tickets.json?page%5Bafter%5D=abc"}
    });
    let mut nulls = NullEvidence::default();
    nulls.observe(&json!({"meta": {"after_cursor": null}, "links": {"next": null}}));
    let same = json!({
        "tickets": [{"id": 9, "subject": "c", "assignee_id": null, "via": {"channel": "api", "extra": 1}, "tags": [], "more": true}],
        "meta": {"has_more": false, "after_cursor": null},
        "links": {"next": null}
    });
    assert_eq!(compare_bodies(&recorded, &same, &nulls), BTreeSet::new());

    let broken = json!({
        "tickets": [{"id": "9", "assignee_id": null, "via": null, "tags": [1]}],
        "meta": {"has_more": true},
        "count": 1
    });
    let diffs = compare_bodies(&recorded, &broken, &none);
    for expected in [
        "tickets[].id: Zendesk sent a number, sandbox sent a string",
        "tickets[].subject: missing",
        "tickets[].via: Zendesk sent an object, sandbox sent null",
        "tickets[].tags[]: Zendesk sent a string, sandbox sent a number",
        "meta.after_cursor: missing",
        "links: missing top-level key",
        "count: unexpected top-level key",
    ] {
        assert!(diffs.contains(expected), "{expected} not in {diffs:?}");
    }
    let empty = json!({"tickets": [], "meta": {"has_more": false, "after_cursor": null}, "links": {"next": null}});
    assert!(
        compare_bodies(&recorded, &empty, &none)
            .contains("tickets: Zendesk listed records, sandbox listed none")
    );
}

#[test]
fn shape_comparison_checks_error_codes_and_event_types_apart() {
    let none = NullEvidence::default();
    let recorded = json!({"error": "RecordNotFound", "description": "Not found"});
    let other = json!({"error": "InvalidEndpoint", "description": "Not found"});
    assert!(
        compare_bodies(&recorded, &other, &none)
            .iter()
            .any(|d| d.starts_with("error: Zendesk sent \"RecordNotFound\""))
    );
    let audit = json!({"audit": {"events": [
        {"type": "Comment", "id": 1, "body": "hi", "public": true},
        {"type": "Create", "id": 2, "field_name": "subject", "value": "x"}
    ]}});
    let sandbox = json!({"audit": {"events": [
        {"type": "Comment", "id": 5, "body": "hi", "public": true},
        {"type": "Create", "id": 6, "field_name": "status", "value": "new"},
        {"type": "Notification", "id": 7}
    ]}});
    assert_eq!(compare_bodies(&audit, &sandbox, &none), BTreeSet::new());
    let no_body = json!({"audit": {"events": [{"type": "Comment", "id": 5, "public": true}]}});
    assert!(
        compare_bodies(&audit, &no_body, &none).contains("audit.events[Comment].body: missing")
    );
}

#[test]
fn null_is_accepted_only_where_zendesk_itself_sent_null() {
    let recorded = json!({"tickets": [{"id": 1, "assignee_id": 7, "brand_id": 3}]});
    let sandbox = json!({"tickets": [{"id": 2, "assignee_id": null, "brand_id": null}]});
    let mut nulls = NullEvidence::default();
    nulls.observe(&json!({"ticket": {"id": 5, "assignee_id": null, "brand_id": 3}}));
    let diffs = compare_bodies(&recorded, &sandbox, &nulls);
    assert_eq!(
        diffs.into_iter().collect::<Vec<_>>(),
        vec!["tickets[].brand_id: Zendesk sent a number, sandbox sent null".to_string()]
    );
}

/// The rewriting of recorded requests onto sandbox IDs, and its refusals.
#[test]
fn recorded_ids_and_cursors_are_rewritten_or_refused() {
    use replay::ids::{IdMap, Kind, Unmapped};
    let mut ids = IdMap::default();
    ids.learn_record(
        Kind::Ticket,
        &json!({"id": 4016, "requester_id": 6130907993114_i64, "organization_id": 6130869157658_i64}),
        &json!({"id": 31, "requester_id": 1, "organization_id": 4}),
    );
    ids.learn_job_results(
        Kind::User,
        &json!([{"id": 900, "status": "Created"}, {"id": 901, "status": "Created"}]),
        &json!([{"index": 1, "id": 12}, {"index": 0, "id": 11}]),
    );
    ids.job("V3-abc", "7f3e");
    ids.learn_cursors(
        &json!({"meta": {"has_more": true, "after_cursor": "zA", "before_cursor": "zB"}}),
        &json!({"meta": {"has_more": true, "after_cursor": "sA", "before_cursor": "sB"}}),
    );

    assert_eq!(
        ids.rewrite_target("/api/v2/tickets/4016.json", false),
        Ok("/api/v2/tickets/31.json".to_string())
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/users/show_many.json?ids=901,900", false),
        Ok("/api/v2/users/show_many.json?ids=12%2C11".to_string())
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/job_statuses/V3-abc.json", false),
        Ok("/api/v2/job_statuses/7f3e.json".to_string())
    );
    assert_eq!(
        ids.rewrite_target(
            "/api/v2/tickets.json?page%5Bafter%5D=zA&page%5Bsize%5D=1",
            false
        ),
        Ok("/api/v2/tickets.json?page%5Bafter%5D=sA&page%5Bsize%5D=1".to_string())
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/organizations/6130869157658.json", false),
        Ok("/api/v2/organizations/4.json".to_string())
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/tickets/9223372036854775807.json", false),
        Ok("/api/v2/tickets/9223372036854775807.json".to_string())
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/groups/55.json", false),
        Err(Unmapped::Record(Kind::Group))
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/tickets.json?page%5Bafter%5D=unknown", false),
        Err(Unmapped::Cursor)
    );
    assert_eq!(
        ids.rewrite_body(
            &json!({"users": [{"id": 900, "name": "a"}], "ticket": {"id": 4016, "requester_id": 6130907993114_i64}}),
            false
        ),
        Ok(json!({"users": [{"id": 11, "name": "a"}], "ticket": {"id": 31, "requester_id": 1}}))
    );
    assert_eq!(
        ids.rewrite_body(&json!({"group": {"id": 55}}), false),
        Err(Unmapped::Record(Kind::Group))
    );

    // Zendesk had more pages, the sandbox had not: the next-page cursor stays unmapped.
    ids.learn_cursors(
        &json!({"meta": {"has_more": true, "after_cursor": "zC"}}),
        &json!({"meta": {"has_more": false, "after_cursor": "sC"}}),
    );
    assert_eq!(
        ids.rewrite_target("/api/v2/tickets.json?page%5Bafter%5D=zC", false),
        Err(Unmapped::Cursor)
    );
}
