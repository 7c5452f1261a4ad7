//! Behaviour of the models on hand-written bodies: enums and IDs as parameters, every error
//! shape, envelopes and paging, unknown values and unknown kinds kept, decode errors naming the
//! path.

use serde_json::{Value, json};
use zendesk_types::{
    AuditEvent, CursorPage, ErrorBody, JobResults, JobState, JobStatus, JobStatusId, OffsetPage,
    OrganizationFieldType, Page, SearchResult, Single, Ticket, TicketAndAudit, TicketId,
    TicketPriority, TicketStatus, TicketType, User, UserId, UserRole, from_slice, from_value,
};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Value {
    let decoded: T = from_value(v.clone()).expect("decodes");
    serde_json::to_value(&decoded).expect("encodes")
}

#[test]
fn enum_parameters_parse_trimmed_and_case_insensitive() {
    assert_eq!(" Open ".parse::<TicketStatus>(), Ok(TicketStatus::Open));
    assert_eq!("HOLD".parse::<TicketStatus>(), Ok(TicketStatus::Hold));
    assert_eq!(
        "urgent".parse::<TicketPriority>(),
        Ok(TicketPriority::Urgent)
    );
    assert_eq!("Incident".parse::<TicketType>(), Ok(TicketType::Incident));
    assert_eq!("End-User".parse::<UserRole>(), Ok(UserRole::EndUser));
    assert_eq!(
        "dropdown".parse::<OrganizationFieldType>(),
        Ok(OrganizationFieldType::Dropdown)
    );
    assert_eq!("completed".parse::<JobState>(), Ok(JobState::Completed));
}

#[test]
fn enum_parameters_refuse_unknown_values_naming_the_accepted_ones() {
    let err = "opened".parse::<TicketStatus>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid ticket status \"opened\": expected one of new, open, pending, hold, solved, closed"
    );
    assert!("".parse::<UserRole>().is_err());
}

#[test]
fn enums_keep_unknown_wire_values_verbatim() {
    let status: TicketStatus = serde_json::from_value(json!("deleted")).expect("decodes");
    assert_eq!(status, TicketStatus::Unknown("deleted".to_owned()));
    assert!(!status.is_known());
    assert_eq!(
        serde_json::to_value(&status).expect("encodes"),
        json!("deleted")
    );
    // Decoding is exact: a differently cased value is kept as sent, not normalised.
    let odd: TicketStatus = serde_json::from_value(json!("Open")).expect("decodes");
    assert_eq!(serde_json::to_value(&odd).expect("encodes"), json!("Open"));
    let role: UserRole = serde_json::from_value(json!("end-user")).expect("decodes");
    assert_eq!(role, UserRole::EndUser);
    assert_eq!(role.as_str(), "end-user");
    assert!(TicketStatus::Pending.rank() < TicketStatus::Solved.rank());
    assert!(JobState::Killed.is_finished() && !JobState::Working.is_finished());
}

#[test]
fn ids_encode_as_plain_numbers_and_parse_from_parameters() {
    assert_eq!(
        serde_json::to_value(TicketId(42)).expect("encodes"),
        json!(42)
    );
    assert_eq!(" 42 ".parse::<TicketId>(), Ok(TicketId(42)));
    for bad in ["0", "-1", "abc", "", "1.5", "99999999999999999999999"] {
        let err = bad.parse::<UserId>().unwrap_err();
        assert!(
            err.to_string().starts_with("invalid user ID"),
            "{bad}: {err}"
        );
    }
    let job: JobStatusId = "V3-abc_123".parse().expect("valid");
    assert_eq!(
        serde_json::to_value(&job).expect("encodes"),
        json!("V3-abc_123")
    );
    for bad in ["", "../tickets", "a b", "a/b", "a?b"] {
        assert!(bad.parse::<JobStatusId>().is_err(), "{bad:?} accepted");
    }
}

#[test]
fn error_body_string_shape_with_details_and_extra_keys() {
    let body = br#"{"error":"RecordInvalid","description":"Record validation errors","details":{"email":[{"description":"Email: x@y is already being used by another user","error":"DuplicateValue"}]}}"#;
    let e = ErrorBody::parse(body);
    assert_eq!(e.code(), Some("RecordInvalid"));
    assert_eq!(e.description(), Some("Record validation errors"));
    assert_eq!(e.field_errors().len(), 1);
    assert_eq!(e.field_errors()[0].error, Some("DuplicateValue"));
    assert_eq!(
        e.message(),
        "RecordInvalid: Record validation errors (email: Email: x@y is already being used by another user [DuplicateValue])"
    );

    let e = ErrorBody::parse(br#"{"error":"TooManyValues","description":"Parameter  cannot specify more than 100 values","max_count":100}"#);
    assert_eq!(e.code(), Some("TooManyValues"));
    assert_eq!(e.extra("max_count"), Some(&json!(100)));
    let back = serde_json::to_value(&e).expect("encodes");
    assert_eq!(back["max_count"], json!(100));

    let e = ErrorBody::parse(br#"{"error":"Couldn't authenticate you"}"#);
    assert_eq!(e.message(), "Couldn't authenticate you");
    assert_eq!(e.description(), None);

    // OAuth's shape: a refused bearer token.
    let e = ErrorBody::parse(
        br#"{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."}"#,
    );
    assert_eq!(e.code(), Some("invalid_token"));
    assert_eq!(
        e.message(),
        "invalid_token: The access token provided is expired, revoked, malformed or invalid for other reasons."
    );
}

#[test]
fn error_body_object_array_and_text_shapes() {
    let e = ErrorBody::parse(br#"{"error":{"title":"Invalid attribute","message":"You passed an invalid value for the sort attribute"}}"#);
    assert!(matches!(e, ErrorBody::Titled { .. }));
    assert_eq!(e.code(), None);
    assert_eq!(
        e.message(),
        "Invalid attribute: You passed an invalid value for the sort attribute"
    );
    assert_eq!(
        serde_json::to_value(&e).expect("encodes"),
        json!({"error": {"title": "Invalid attribute", "message": "You passed an invalid value for the sort attribute"}})
    );

    let e =
        ErrorBody::parse(br#"{"errors":[{"code":"InvalidPaginationDepth","title":"Too deep"}]}"#);
    assert_eq!(e.code(), Some("InvalidPaginationDepth"));
    assert_eq!(e.message(), "InvalidPaginationDepth: Too deep");

    let e = ErrorBody::parse(b"Number of allowed API requests per minute exceeded\n");
    assert_eq!(
        e,
        ErrorBody::Text("Number of allowed API requests per minute exceeded".to_owned())
    );
    assert_eq!(e.code(), None);
    assert_eq!(
        e.message(),
        "Number of allowed API requests per minute exceeded"
    );

    assert_eq!(ErrorBody::parse(b"").message(), "empty error body");
    let long = "x".repeat(10_000);
    assert!(ErrorBody::parse(long.as_bytes()).message().len() < 2100);
}

#[test]
fn null_and_unknown_keys_survive_a_round_trip() {
    let ticket = json!({
        "id": 7, "url": "https://x.zendesk.com/api/v2/tickets/7.json", "external_id": null,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": "2023-09-18T23:22:37Z", "updated_at": "2023-09-18T23:22:37Z",
        "type": null, "subject": "s", "raw_subject": "s", "description": "d", "priority": "high",
        "status": "open", "recipient": null, "requester_id": 1, "submitter_id": 1,
        "assignee_id": null, "organization_id": null, "group_id": null, "collaborator_ids": [],
        "follower_ids": [], "email_cc_ids": [], "forum_topic_id": null, "problem_id": null,
        "has_incidents": false, "is_public": true, "due_at": null, "tags": ["a"],
        "custom_fields": [{"id": 5, "value": ["x", "y"]}], "satisfaction_rating": null,
        "sharing_agreement_ids": [], "followup_ids": [], "brand_new_key": {"nested": [1, null]}
    });
    assert_eq!(round_trip::<Ticket>(&ticket), ticket);
    let decoded: Ticket = from_value(ticket).expect("decodes");
    assert_eq!(decoded.priority, Some(TicketPriority::High));
    assert_eq!(decoded.assignee_id, None);
    assert!(decoded.extra.contains_key("brand_new_key"));
}

#[test]
fn audit_events_and_search_results_keep_unknown_kinds() {
    let body = json!({
        "ticket": {"id": 9, "status": "new"},
        "audit": {"id": 1, "ticket_id": 9, "events": [
            {"id": 2, "type": "Comment", "author_id": 3, "body": "hi", "public": true, "attachments": []},
            {"id": 3, "type": "Create", "field_name": "tags", "value": ["a"]},
            {"id": 4, "type": "Change", "field_name": "status", "value": "open", "previous_value": null},
            {"id": 5, "type": "Notification", "subject": "x", "recipients": [1]}
        ]}
    });
    let decoded: TicketAndAudit = from_value(body.clone()).expect("decodes");
    let events = &decoded.audit.as_ref().expect("audit").events;
    let types: Vec<&str> = events.iter().map(AuditEvent::event_type).collect();
    assert_eq!(types, ["Comment", "Create", "Change", "Notification"]);
    assert!(matches!(events[3], AuditEvent::Other(_)));
    let back = serde_json::to_value(&decoded).expect("encodes");
    // The events re-encode exactly; the audit itself was partial, so it gains null keys.
    assert_eq!(back["audit"]["events"], body["audit"]["events"]);
    assert_eq!(back["audit"]["created_at"], Value::Null);

    let results = json!({"results": [
        {"result_type": "user", "id": 1, "name": "A", "role": "agent"},
        {"result_type": "article", "id": 2, "title": "How to"}
    ], "facets": null, "next_page": null, "previous_page": null, "count": 2});
    let page: OffsetPage<SearchResult> = from_value(results.clone()).expect("decodes");
    assert!(matches!(&page.items[0], SearchResult::User(u) if u.role == Some(UserRole::Agent)));
    assert_eq!(page.items[1].result_type(), "article");
    assert_eq!(page.count, Some(2));
    let back = serde_json::to_value(&page).expect("encodes");
    assert_eq!(back["results"][1], results["results"][1]);
    assert_eq!(back["facets"], Value::Null);
    assert_eq!(back["results"][0]["result_type"], json!("user"));
}

#[test]
fn cursor_paging_stops_without_has_more_or_cursor() {
    let last = json!({"users": [], "meta": {"has_more": false, "after_cursor": "abc", "before_cursor": null},
        "links": {"prev": null, "next": "https://x/api/v2/users?page%5Bafter%5D=abc"}});
    let page: CursorPage<User> = from_value(last).expect("decodes");
    assert_eq!(page.next_cursor(), None);
    let more = json!({"users": [{"id": 1}], "meta": {"has_more": true, "after_cursor": "abc", "before_cursor": null},
        "links": {"prev": null, "next": null}});
    let page: CursorPage<User> = from_value(more).expect("decodes");
    assert_eq!(page.next_cursor(), Some("abc"));
    let no_cursor =
        json!({"users": [], "meta": {"has_more": true, "after_cursor": "", "before_cursor": null}});
    let page: CursorPage<User> = from_value(no_cursor).expect("decodes");
    assert_eq!(page.next_cursor(), None);

    let offset = json!({"users": [{"id": 1}], "next_page": "https://x/api/v2/users.json?page=2", "previous_page": null, "count": 101});
    match from_value::<Page<User>>(offset.clone()).expect("decodes") {
        Page::Offset(p) => assert_eq!(p.count, Some(101)),
        Page::Cursor(_) => panic!("offset body taken for a cursor page"),
    }
    let back = round_trip::<Page<User>>(&offset);
    for key in ["next_page", "previous_page", "count"] {
        assert_eq!(back[key], offset[key], "{key}");
    }
    // A partial record gains the keys Zendesk always sends, as null (documented in lib.rs).
    assert_eq!(back["users"][0]["email"], Value::Null);
}

#[test]
fn job_results_may_be_a_list_or_an_object() {
    let job: Single<JobStatus> = from_value(json!({"job_status": {
        "id": "V3-a", "url": null, "total": 2, "progress": 2, "status": "completed", "message": null,
        "results": [{"index": 0, "id": 11}, {"index": 1, "id": 12, "error": "TicketCreateFailed", "details": "x"}]
    }}))
    .expect("decodes");
    assert_eq!(job.record.result_items().len(), 2);
    assert_eq!(job.record.failed_items().count(), 1);

    let job: JobStatus =
        from_value(json!({"id": "V3-b", "status": "completed", "results": {"success": true}}))
            .expect("decodes");
    assert!(matches!(job.results, Some(JobResults::Object(ref o)) if o["success"] == json!(true)));
    assert!(job.result_items().is_empty());
}

#[test]
fn decode_errors_name_the_path() {
    let err =
        from_slice::<Single<Ticket>>(br#"{"ticket": {"id": 1, "tags": ["a", 5]}}"#).unwrap_err();
    assert_eq!(err.path, "ticket.tags[1]");
    let err = from_slice::<OffsetPage<SearchResult>>(
        br#"{"results": [{"result_type": "ticket", "id": "x"}], "next_page": null}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("ticket result"), "{err}");
    assert!(err.to_string().contains("id"), "{err}");
    let err = from_slice::<CursorPage<Ticket>>(br#"{"users": []}"#).unwrap_err();
    assert!(err.message.contains("tickets"), "{err}");
    assert!(from_slice::<Single<Ticket>>(br#"{"ticket": {"id": 1}} trailing"#).is_err());
}

#[test]
fn error_bodies_built_for_the_sandbox_encode_as_zendesk_writes_them() {
    let e = ErrorBody::coded("RecordInvalid", "Record validation errors").with_detail(
        "name",
        "Name:  has already been taken",
        "DuplicateValue",
    );
    assert_eq!(
        serde_json::to_value(&e).expect("encodes"),
        json!({"error": "RecordInvalid", "description": "Record validation errors",
               "details": {"name": [{"description": "Name:  has already been taken", "error": "DuplicateValue"}]}})
    );
    let e = ErrorBody::coded(
        "TooManyValues",
        "Parameter  cannot specify more than 100 values",
    )
    .with_extra("max_count", 100);
    assert_eq!(
        ErrorBody::parse(&serde_json::to_vec(&e).expect("encodes")),
        e
    );
}

#[test]
fn user_debug_hides_the_authenticity_token() {
    let user: User =
        from_value(json!({"id": 1, "name": "Me", "authenticity_token": "s3cr3t-csrf"}))
            .expect("decodes");
    let shown = format!("{user:?}");
    assert!(!shown.contains("s3cr3t-csrf"), "{shown}");
    assert!(shown.contains("\"name\":\"Me\""), "{shown}");
    // The value itself is kept: re-encoding must not lose it.
    assert_eq!(
        serde_json::to_value(&user).expect("encodes")["authenticity_token"],
        json!("s3cr3t-csrf")
    );
}

macro_rules! check_vocabulary {
    ($ty:ty) => {
        for wire in <$ty>::KNOWN {
            let value = <$ty>::from_wire(wire);
            assert!(value.is_known(), "{wire}");
            assert_eq!(value.as_str(), *wire);
            assert_eq!(
                format!(" {} ", wire.to_uppercase()).parse::<$ty>(),
                Ok(value.clone())
            );
            assert_eq!(serde_json::to_value(&value).expect("encodes"), json!(wire));
            let decoded: $ty = serde_json::from_value(json!(wire)).expect("decodes");
            assert_eq!(decoded, value);
        }
        let later: $ty = serde_json::from_value(json!("added-later")).expect("decodes");
        assert!(!later.is_known());
        assert_eq!(
            serde_json::to_value(&later).expect("encodes"),
            json!("added-later")
        );
        assert!("added-later".parse::<$ty>().is_err());
    };
}

#[test]
fn every_vocabulary_round_trips_each_known_value_and_keeps_unknown_ones() {
    check_vocabulary!(TicketStatus);
    check_vocabulary!(TicketPriority);
    check_vocabulary!(TicketType);
    check_vocabulary!(UserRole);
    check_vocabulary!(OrganizationFieldType);
    check_vocabulary!(JobState);
}
