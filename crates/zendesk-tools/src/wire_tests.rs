//! What each tool would send, read from its plan (no network): paths, queries and bodies as
//! TOOL_BEHAVIOR.md specifies them, and the refusals that stop a call before anything is sent.

use serde_json::{Value, json};

use crate::params::Params;
use crate::plan::Wire as Request;
use crate::registry::registry;
use zendesk::Method;

fn plan(tool: &str, args: Value) -> Result<Request, String> {
    let tool = registry().get(tool).expect("registered");
    let params = Params::parse(&tool.spec, args).map_err(|e| e.message)?;
    (tool.plan)(&params)
        .map(|p| p.request())
        .map_err(|e| e.message)
}

fn query(request: &Request) -> Vec<(&str, &str)> {
    request
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn get_tickets_without_filters_lists_tickets_with_cursor_paging() {
    let request = plan(
        "zendesk_get_tickets",
        json!({"sort": "-updated_at", "perPage": "25", "pageAfter": "abc"}),
    )
    .unwrap();
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.path, "/tickets");
    assert_eq!(
        query(&request),
        vec![
            ("sort", "-updated_at"),
            ("page[size]", "25"),
            ("page[after]", "abc")
        ]
    );
}

#[test]
fn get_tickets_with_filters_goes_through_search_export() {
    let request = plan(
        "zendesk_get_tickets",
        json!({"status": "Open", "priority": "high", "type": "incident", "assigneeId": "123",
               "organizationId": "456", "sort": "id"}),
    )
    .unwrap();
    assert_eq!(request.path, "/search/export");
    assert_eq!(
        query(&request),
        vec![
            (
                "query",
                "status:open priority:high ticket_type:incident assignee:123 organization:456"
            ),
            ("filter[type]", "ticket"),
            ("page[size]", "100"),
        ]
    );
}

#[test]
fn create_ticket_sends_numbers_and_custom_fields_as_a_list() {
    let request = plan(
        "zendesk_create_ticket",
        json!({"description": "Printer on fire\nsecond line", "priority": "URGENT ",
               "tags": "billing, , urgent", "assigneeId": "12", "groupId": "34",
               "requesterId": "56", "customFields": "{\"360001\": \"x\"}"}),
    )
    .unwrap();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/tickets");
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {
            "subject": "Printer on fire",
            "comment": {"body": "Printer on fire\nsecond line"},
            "priority": "urgent",
            "tags": ["billing", "urgent"],
            "assignee_id": 12,
            "group_id": 34,
            "custom_fields": [{"id": 360001, "value": "x"}],
            "requester_id": 56
        }})
    );
}

#[test]
fn custom_fields_are_never_silently_dropped() {
    let error = plan(
        "zendesk_create_ticket",
        json!({"description": "x", "customFields": "{360001: \"x\"}"}),
    )
    .unwrap_err();
    assert!(
        error
            .starts_with("customFields is not valid JSON: key must be a string at line 1 column 2"),
        "{error}"
    );
    let error = plan(
        "zendesk_create_ticket",
        json!({"description": "x", "customFields": "{\"priority_level\": \"x\"}"}),
    )
    .unwrap_err();
    assert!(error.contains("not a ticket field ID"), "{error}");
}

#[test]
fn update_ticket_sends_only_given_fields_and_a_comment_body() {
    let request = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "comment": "Looking into it", "status": "pending", "subject": ""}),
    )
    .unwrap();
    assert_eq!(request.method, Method::PUT);
    assert_eq!(request.path, "/tickets/7");
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"comment": {"body": "Looking into it"}, "status": "pending"}})
    );
    let error = plan("zendesk_update_ticket", json!({"ticketId": "7"})).unwrap_err();
    assert!(error.starts_with("nothing to update"), "{error}");
}

#[test]
fn update_tickets_bulk_adds_tags_instead_of_replacing_them() {
    let request = plan(
        "zendesk_update_tickets_bulk",
        json!({"ticketIds": "111, 222,333", "tags": "bulk-update, processed", "status": "solved"}),
    )
    .unwrap();
    assert_eq!(request.path, "/tickets/update_many");
    assert_eq!(query(&request), vec![("ids", "111,222,333")]);
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"status": "solved", "additional_tags": ["bulk-update", "processed"]}})
    );
}

#[test]
fn bulk_inputs_over_a_hundred_are_refused() {
    let tickets: Vec<Value> = (0..101)
        .map(|i| json!({"subject": format!("t{i}"), "comment": {"body": "b"}}))
        .collect();
    let error = plan(
        "zendesk_create_tickets_bulk",
        json!({"tickets": serde_json::to_string(&tickets).unwrap()}),
    )
    .unwrap_err();
    assert!(error.contains("101 items; at most 100"), "{error}");
    let users: Vec<Value> = (0..101).map(|i| json!({"id": i + 1})).collect();
    let error = plan("zendesk_update_users_bulk", json!({"users": users})).unwrap_err();
    assert!(error.contains("101 items; at most 100"), "{error}");
    let ok = plan(
        "zendesk_create_tickets_bulk",
        json!({"tickets": serde_json::to_string(&tickets[..100]).unwrap()}),
    )
    .unwrap();
    assert_eq!(ok.body.unwrap()["tickets"].as_array().unwrap().len(), 100);
}

#[test]
fn merge_refuses_the_target_among_the_sources() {
    let request = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": "2, 3", "targetComment": "Merged"}),
    )
    .unwrap();
    assert_eq!(request.path, "/tickets/1/merge");
    assert_eq!(
        request.body.unwrap(),
        json!({"ids": [2, 3], "target_comment": "Merged"})
    );
    let error = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": "2, 1"}),
    )
    .unwrap_err();
    assert!(
        error.contains("must not include the target ticket 1"),
        "{error}"
    );
    // Zendesk merges at most five sources per call (`limits::MAX_MERGE_SOURCES`).
    let five = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": "2,3,4,5,6"}),
    );
    assert!(five.is_ok());
    let error = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": "2,3,4,5,6,7"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("sourceTicketIds has 6 tickets; Zendesk merges at most 5"),
        "{error}"
    );
}

#[test]
fn users_search_needs_a_query_or_an_external_id() {
    let error = plan(
        "zendesk_search_users",
        json!({"query": "", "externalId": " "}),
    )
    .unwrap_err();
    assert!(error.contains("give query"), "{error}");
    let request = plan(
        "zendesk_search_users",
        json!({"externalId": "ext-1", "page": "2"}),
    )
    .unwrap();
    assert_eq!(request.path, "/users/search");
    assert_eq!(
        query(&request),
        vec![("external_id", "ext-1"), ("per_page", "100"), ("page", "2")]
    );
}

#[test]
fn create_user_converts_verified_and_custom_fields() {
    let request = plan(
        "zendesk_create_user",
        json!({"name": "Jane", "userEmail": "jane@example.com", "role": "Agent",
               "verified": "TRUE", "organizationId": "9", "customFields": {"plan": "gold"}}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"user": {"name": "Jane", "email": "jane@example.com", "role": "agent",
                        "organization_id": 9, "verified": true, "user_fields": {"plan": "gold"}}})
    );
    let error = plan(
        "zendesk_create_user",
        json!({"name": "J", "verified": "yes"}),
    )
    .unwrap_err();
    assert_eq!(
        error,
        "verified must be \"true\" or \"false\" (got \"yes\")"
    );
    let error = plan("zendesk_create_user", json!({"name": "J", "role": "owner"})).unwrap_err();
    assert!(
        error.starts_with("role must be one of \"end-user\", \"agent\", \"admin\""),
        "{error}"
    );
}

#[test]
fn update_users_bulk_needs_a_numeric_id_on_every_user() {
    let request = plan(
        "zendesk_update_users_bulk",
        json!({"users": "[{\"id\": \"123\", \"name\": \"New\"}]"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"users": [{"id": 123, "name": "New"}]})
    );
    let error = plan(
        "zendesk_update_users_bulk",
        json!({"users": "[{\"name\": \"x\"}]"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("users[0] needs a numeric \"id\""),
        "{error}"
    );
}

#[test]
fn organizations_send_domain_lists_and_fields_by_key() {
    let request = plan(
        "zendesk_create_organization",
        json!({"name": "Acme", "domainNames": "acme.com, acme.org", "customFields": "{\"plan\": \"gold\"}"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"organization": {"name": "Acme", "domain_names": ["acme.com", "acme.org"],
                                "organization_fields": {"plan": "gold"}}})
    );
    let request = plan(
        "zendesk_autocomplete_organizations",
        json!({"name": "Ac", "perPage": "5"}),
    )
    .unwrap();
    assert_eq!(request.path, "/organizations/autocomplete");
    assert_eq!(query(&request), vec![("name", "Ac"), ("per_page", "5")]);
}

#[test]
fn search_uses_export_with_the_filter_type() {
    let request = plan(
        "zendesk_search",
        json!({"query": "status:open", "filterType": " Ticket"}),
    )
    .unwrap();
    assert_eq!(request.path, "/search/export");
    assert_eq!(
        query(&request),
        vec![
            ("query", "status:open"),
            ("filter[type]", "ticket"),
            ("page[size]", "100")
        ]
    );
    let error = plan(
        "zendesk_search",
        json!({"query": "x", "filterType": "tickets"}),
    )
    .unwrap_err();
    assert!(error.starts_with("filterType must be one of"), "{error}");
}

#[test]
fn organization_field_tools_check_ids_keys_and_options() {
    let request = plan(
        "zendesk_create_organization_field",
        json!({"key": "plan", "title": "Plan", "type": "Dropdown",
               "customFieldOptions": "[{\"name\": \"Gold\", \"value\": \"gold\"}]", "position": "2"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"organization_field": {"key": "plan", "type": "dropdown", "title": "Plan",
               "position": 2, "custom_field_options": [{"name": "Gold", "value": "gold"}]}})
    );
    let error = plan(
        "zendesk_create_organization_field",
        json!({"key": "plan", "title": "Plan", "type": "dropdown"}),
    )
    .unwrap_err();
    assert!(error.contains("needs customFieldOptions"), "{error}");
    let error = plan(
        "zendesk_get_organization_field",
        json!({"fieldIdOrKey": "../tickets"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("fieldIdOrKey must be a field ID"),
        "{error}"
    );
    let request = plan(
        "zendesk_get_organization_field",
        json!({"fieldIdOrKey": "plan"}),
    )
    .unwrap();
    assert_eq!(request.path, "/organization_fields/plan");
    let request = plan(
        "zendesk_reorder_organization_fields",
        json!({"fieldIds": "3, 1"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"organization_field_ids": [3, 1]})
    );
}

#[test]
fn job_ids_cannot_steer_the_path() {
    let error = plan("zendesk_get_job_status", json!({"jobId": "../../users"})).unwrap_err();
    assert!(error.starts_with("jobId must be"), "{error}");
    let request = plan(
        "zendesk_get_job_status",
        json!({"jobId": "abc123", "waitSeconds": "5"}),
    )
    .unwrap();
    assert_eq!(request.path, "/job_statuses/abc123");
    let error = plan(
        "zendesk_get_job_status",
        json!({"jobId": "a", "waitSeconds": "601"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("waitSeconds must be a whole number from 0 to 600"),
        "{error}"
    );
}

#[test]
fn every_id_param_refuses_non_numbers_with_the_spec_message() {
    for tool in registry().tools() {
        for param in &tool.spec.params {
            // Job IDs are opaque tokens, not numbers.
            let is_id = param.name.ends_with("Id") && !matches!(param.name, "externalId" | "jobId");
            if !is_id {
                continue;
            }
            let mut args = serde_json::Map::new();
            // Fill the other required params with plausible values so only the ID is wrong.
            for other in &tool.spec.params {
                if other.required && other.name != param.name {
                    let value = match other.name {
                        "email" | "apiToken" | "subdomain" => continue,
                        "sourceTicketIds" | "ticketIds" | "fieldIds" => "2",
                        "tickets" | "users" | "organizations" => "[{\"id\": 5, \"name\": \"n\"}]",
                        "filterType" => "ticket",
                        "type" => "text",
                        "key" => "k",
                        _ => "1",
                    };
                    args.insert(other.name.into(), json!(value));
                }
            }
            args.insert(param.name.into(), json!("12ab"));
            let error = plan(tool.spec.id, Value::Object(args)).unwrap_err();
            let expected = format!("{} must be a numeric string such as \"12345\"", param.name);
            assert!(error.starts_with(&expected), "{}: {error}", tool.spec.id);
        }
    }
}

// ----- issue 9: the conversation, history, fields, groups; safer params --------------------

#[test]
fn comments_are_read_with_their_authors_side_loaded() {
    let request = plan(
        "zendesk_get_ticket_comments",
        json!({"ticketId": "7", "sortOrder": "DESC", "perPage": "20"}),
    )
    .unwrap();
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.path, "/tickets/7/comments");
    assert_eq!(
        query(&request),
        vec![
            ("include", "users"),
            ("sort", "-created_at"),
            ("page[size]", "20")
        ]
    );
    let oldest_first = plan("zendesk_get_ticket_comments", json!({"ticketId": "7"})).unwrap();
    assert!(!query(&oldest_first).iter().any(|(k, _)| *k == "sort"));
}

#[test]
fn a_note_is_never_public_and_a_reply_always_is() {
    let note = plan(
        "zendesk_add_internal_note",
        json!({"ticketId": "7", "body": "Customer is on the legacy plan"}),
    )
    .unwrap();
    assert_eq!(note.method, Method::PUT);
    assert_eq!(note.path, "/tickets/7");
    assert_eq!(
        note.body.unwrap(),
        json!({"ticket": {"comment": {"body": "Customer is on the legacy plan", "public": false}}})
    );
    let reply = plan(
        "zendesk_reply_to_ticket",
        json!({"ticketId": "7", "body": "Fixed, thanks!", "status": "Pending"}),
    )
    .unwrap();
    assert_eq!(
        reply.body.unwrap(),
        json!({"ticket": {"comment": {"body": "Fixed, thanks!", "public": true}, "status": "pending"}})
    );
    // Neither takes a visibility switch: the tool is the choice.
    let error = plan(
        "zendesk_add_internal_note",
        json!({"ticketId": "7", "body": "x", "public": "true"}),
    )
    .unwrap_err();
    assert!(error.contains("unknown param \"public\""), "{error}");
}

#[test]
fn update_and_merge_say_who_sees_their_comment() {
    let request = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "comment": "Triage: billing", "commentPublic": "false"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"comment": {"body": "Triage: billing", "public": false}}})
    );
    // Left out, Zendesk's default (public) applies: nothing is sent for it.
    let request = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "comment": "Hello"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"comment": {"body": "Hello"}}})
    );
    let error = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "status": "open", "commentPublic": "false"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("commentPublic says who sees comment"),
        "{error}"
    );
    let error = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "comment": "x", "commentPublic": "no"}),
    )
    .unwrap_err();
    assert!(error.contains("\"true\" or \"false\""), "{error}");

    let request = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": [2, 3], "targetComment": "Merged",
               "targetCommentPublic": "false"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ids": [2, 3], "target_comment": "Merged", "target_comment_is_public": false})
    );
    // Zendesk comments on both sides even without a text (a note of its own): who sees those
    // notes is said the same way, so a merge can stay internal on both sides.
    let request = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": "2", "targetCommentPublic": "false",
               "sourceCommentPublic": "false"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ids": [2], "target_comment_is_public": false, "source_comment_is_public": false})
    );
    let request = plan(
        "zendesk_merge_tickets",
        json!({"targetTicketId": "1", "sourceTicketIds": "2", "sourceComment": "Duplicate of #1",
               "sourceCommentPublic": "true"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ids": [2], "source_comment": "Duplicate of #1", "source_comment_is_public": true})
    );
}

#[test]
fn update_adds_and_removes_tags_keeping_the_rest() {
    let request = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "addTags": "vip, escalated", "removeTags": ["tier2"]}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"additional_tags": ["vip", "escalated"], "remove_tags": ["tier2"]}})
    );
    // A JSON array written as text is the array, not tags such as `["vip"`.
    let request = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "addTags": "[\"vip\",\"export\"]"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"additional_tags": ["vip", "export"]}})
    );
    let error = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "tags": "vip", "addTags": "x"}),
    )
    .unwrap_err();
    assert!(error.starts_with("tags replaces all"), "{error}");
    let error = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "addTags": "x, y", "removeTags": "y"}),
    )
    .unwrap_err();
    assert!(error.contains("\"y\" is in both"), "{error}");
    let error = plan("zendesk_update_ticket", json!({"ticketId": "7"})).unwrap_err();
    assert!(error.contains("addTags, removeTags"), "{error}");
}

#[test]
fn update_changes_requester_problem_and_ccs() {
    let request = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "requesterId": "11", "problemId": "3",
               "emailCcs": "ada@acme.com, 12, -bob@acme.com, -13"}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap(),
        json!({"ticket": {"requester_id": 11, "problem_id": 3, "email_ccs": [
            {"user_email": "ada@acme.com", "action": "put"},
            {"user_id": 12, "action": "put"},
            {"user_email": "bob@acme.com", "action": "delete"},
            {"user_id": 13, "action": "delete"},
        ]}})
    );
    let error = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "emailCcs": "ada"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("emailCcs: \"ada\" is neither an email address nor a user ID"),
        "{error}"
    );
    let request = plan(
        "zendesk_reply_to_ticket",
        json!({"ticketId": "7", "body": "Looping in Ada", "emailCcs": ["ada@acme.com"]}),
    )
    .unwrap();
    assert_eq!(
        request.body.unwrap()["ticket"]["email_ccs"],
        json!([{"user_email": "ada@acme.com", "action": "put"}])
    );
}

#[test]
fn create_finds_or_creates_the_requester_by_email_and_follows_up_closed_tickets() {
    let request = plan(
        "zendesk_create_ticket",
        json!({"description": "Printer on fire", "requesterEmail": " jane@acme.com ",
               "requesterName": "Jane Doe", "viaFollowupSourceId": "5", "problemId": "9"}),
    )
    .unwrap();
    let ticket = &request.body.unwrap()["ticket"];
    assert_eq!(
        ticket["requester"],
        json!({"email": "jane@acme.com", "name": "Jane Doe"})
    );
    assert_eq!(ticket["via_followup_source_id"], 5);
    assert_eq!(ticket["problem_id"], 9);
    for (args, expected) in [
        (
            json!({"description": "x", "requesterName": "Jane"}),
            "requesterName names a requester",
        ),
        (
            json!({"description": "x", "requesterEmail": "jane@acme.com", "requesterId": "4"}),
            "give the requester once",
        ),
        (
            json!({"description": "x", "requesterEmail": "jane"}),
            "requesterEmail must be an email address",
        ),
    ] {
        let error = plan("zendesk_create_ticket", args).unwrap_err();
        assert!(error.starts_with(expected), "{error}");
    }
}

#[test]
fn single_reads_take_fields_of_their_record() {
    for (tool, args) in [
        (
            "zendesk_get_ticket",
            json!({"ticketId": "1", "fields": "subject,status"}),
        ),
        (
            "zendesk_get_user",
            json!({"userId": "1", "fields": "name,email"}),
        ),
        ("zendesk_get_current_user", json!({"fields": "role"})),
        (
            "zendesk_get_organization",
            json!({"organizationId": "1", "fields": "name"}),
        ),
    ] {
        assert!(plan(tool, args).is_ok(), "{tool}");
    }
    let error = plan(
        "zendesk_get_user",
        json!({"userId": "1", "fields": "subject"}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("fields: \"subject\" is not a key"),
        "{error}"
    );
}

#[test]
fn fields_name_record_keys_and_unknown_ones_are_refused() {
    assert!(
        plan(
            "zendesk_get_tickets",
            json!({"fields": "id,subject,status,updated_at"})
        )
        .is_ok()
    );
    assert!(
        plan(
            "zendesk_get_tickets",
            json!({"fields": ["subject", "status"]})
        )
        .is_ok()
    );
    let error = plan("zendesk_get_tickets", json!({"fields": "subject,stauts"})).unwrap_err();
    assert!(
        error.starts_with(
            "fields: \"stauts\" is not a key of these records; did you mean \"status\"?"
        ),
        "{error}"
    );
    // A search's keys are those of the records it finds.
    assert!(
        plan(
            "zendesk_search",
            json!({"query": "jane", "filterType": "user", "fields": "email,role"})
        )
        .is_ok()
    );
    let error = plan(
        "zendesk_search",
        json!({"query": "jane", "filterType": "user", "fields": "subject"}),
    )
    .unwrap_err();
    assert!(error.contains("not a key of these records"), "{error}");
}

#[test]
fn unknown_keys_in_bulk_items_are_refused_naming_zendesks() {
    let error = plan(
        "zendesk_create_tickets_bulk",
        json!({"tickets": [{"subject": "a", "comment": {"body": "b"}, "requesterId": 5}]}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("tickets[0] has the key \"requesterId\", which Zendesk does not take on a ticket and would drop silently; use \"requester_id\""),
        "{error}"
    );
    let error = plan(
        "zendesk_create_tickets_bulk",
        json!({"tickets": [{"subject": "a", "description": "b"}]}),
    )
    .unwrap_err();
    assert!(
        error.contains("use \"comment\": {\"body\": \"...\"}"),
        "{error}"
    );
    let error = plan(
        "zendesk_update_users_bulk",
        json!({"users": [{"id": 1, "name": "x"}, {"id": 2, "organizationId": 9}]}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("users[1] has the key \"organizationId\"")
            && error.contains("use \"organization_id\""),
        "{error}"
    );
    let error = plan(
        "zendesk_create_organizations_bulk",
        json!({"organizations": [{"name": "Acme", "flavour": "x"}]}),
    )
    .unwrap_err();
    assert!(
        error.contains("keys Zendesk takes on an organization: id, name"),
        "{error}"
    );
    assert!(
        plan(
            "zendesk_create_tickets_bulk",
            json!({"tickets": [{"subject": "a", "comment": {"body": "b"}, "requester_id": 5, "custom_fields": []}]}),
        )
        .is_ok()
    );
}

#[test]
fn search_refuses_what_zendesk_would_search_as_text() {
    let refused = |tool: &str, args: Value| plan(tool, args).unwrap_err();
    let error = refused(
        "zendesk_search",
        json!({"query": "status:open AND priority:urgent", "filterType": "ticket"}),
    );
    assert!(
        error.starts_with("query: AND is not an operator in Zendesk search"),
        "{error}"
    );
    assert!(error.contains("\"status:open priority:high\""), "{error}");
    let error = refused(
        "zendesk_search_count",
        json!({"query": "(status:open OR status:pending)"}),
    );
    assert!(
        error.starts_with("query: Zendesk search has no parentheses"),
        "{error}"
    );
    let error = refused(
        "zendesk_search",
        json!({"query": "type:user jane", "filterType": "ticket"}),
    );
    assert!(
        error.starts_with("query: it says type:user but filterType is \"ticket\""),
        "{error}"
    );
    // OR and NOT would be searched as words and find nothing: refused with the rewrite.
    let error = refused(
        "zendesk_search",
        json!({"query": "priority:urgent OR priority:high", "filterType": "ticket"}),
    );
    assert!(error.starts_with("query: OR is not an operator"), "{error}");
    assert!(
        error.contains("\"priority:urgent priority:high\""),
        "{error}"
    );
    let error = refused(
        "zendesk_search_count",
        json!({"query": "priority:urgent || priority:high"}),
    );
    assert!(error.starts_with("query: OR is not an operator"), "{error}");
    for query in ["status:open NOT status:closed", "!status:closed printer"] {
        let error = refused(
            "zendesk_search",
            json!({"query": query, "filterType": "ticket"}),
        );
        assert!(
            error.starts_with("query: Zendesk search has no NOT or !"),
            "{error}"
        );
        assert!(error.ends_with("\"-status:closed\""), "{error}");
    }
    // Quoted text and a type: that agrees are fine.
    assert!(
        plan(
            "zendesk_search",
            json!({"query": "\"fire (again) AND smoke\" type:ticket", "filterType": "ticket"})
        )
        .is_ok()
    );
}

#[test]
fn a_bad_id_names_the_tool_that_finds_one() {
    let error = plan(
        "zendesk_update_ticket",
        json!({"ticketId": "7", "groupId": "support"}),
    )
    .unwrap_err();
    assert_eq!(
        error,
        "groupId must be a numeric string such as \"12345\" (got \"support\"); find a group's id with zendesk_get_groups"
    );
    let error = plan(
        "zendesk_get_group_memberships",
        json!({"groupId": "1", "userId": "2"}),
    )
    .unwrap_err();
    assert!(error.contains("not both"), "{error}");
}

#[test]
fn fields_memberships_and_audits_ask_for_what_they_show() {
    let request = plan("zendesk_get_ticket_audits", json!({"ticketId": "7"})).unwrap();
    assert_eq!(request.path, "/tickets/7/audits");
    assert_eq!(
        query(&request),
        vec![("include", "users"), ("page[size]", "100")]
    );
    let request = plan("zendesk_get_ticket_fields", json!({})).unwrap();
    assert_eq!(request.path, "/ticket_fields");
    let request = plan("zendesk_get_group_memberships", json!({"groupId": "4"})).unwrap();
    assert_eq!(request.path, "/groups/4/memberships");
    assert_eq!(
        query(&request),
        vec![("include", "users,groups"), ("page[size]", "100")]
    );
    let request = plan("zendesk_get_group_memberships", json!({"userId": 9})).unwrap();
    assert_eq!(request.path, "/users/9/group_memberships");
    let request = plan("zendesk_get_group_memberships", json!({})).unwrap();
    assert_eq!(request.path, "/group_memberships");
    let request = plan("zendesk_get_groups", json!({"perPage": 10})).unwrap();
    assert_eq!(request.path, "/groups");
}

#[test]
fn macro_views_and_help_center_tools_send_what_zendesk_takes() {
    let list = plan(
        "zendesk_get_macros",
        json!({"active": "true", "perPage": "20"}),
    )
    .unwrap();
    assert_eq!(list.path, "/macros");
    assert_eq!(query(&list), vec![("active", "true"), ("page[size]", "20")]);
    let search = plan(
        "zendesk_get_macros",
        json!({"query": " refund ", "page": "2"}),
    )
    .unwrap();
    assert_eq!(search.path, "/macros/search");
    assert_eq!(
        query(&search),
        vec![("query", "refund"), ("per_page", "100"), ("page", "2")]
    );
    // The preview reads the ticket first (to say what changes), then the macro's effect.
    let apply = plan(
        "zendesk_apply_macro",
        json!({"ticketId": "7", "macroId": 30}),
    )
    .unwrap();
    assert_eq!(
        (apply.method, apply.path.as_str()),
        (Method::GET, "/tickets/7")
    );
    let views = plan(
        "zendesk_get_view_tickets",
        json!({"viewId": "31", "perPage": "5"}),
    )
    .unwrap();
    assert_eq!(views.path, "/views/31/tickets");
    assert_eq!(query(&views), vec![("page[size]", "5")]);
    let count = plan("zendesk_get_view_count", json!({"viewId": "31"})).unwrap();
    assert_eq!(count.path, "/views/31/count");
    let articles = plan(
        "zendesk_search_articles",
        json!({"query": "reset password", "locale": "en-US"}),
    )
    .unwrap();
    assert_eq!(articles.path, "/help_center/articles/search");
    assert_eq!(
        query(&articles),
        vec![
            ("query", "reset password"),
            ("locale", "en-us"),
            ("per_page", "10")
        ]
    );
    let article = plan("zendesk_get_article", json!({"articleId": "35000000001"})).unwrap();
    assert_eq!(article.path, "/help_center/articles/35000000001");
    let file = plan("zendesk_get_attachment", json!({"attachmentId": "5"})).unwrap();
    assert_eq!(file.path, "/attachments/5");
    let upload = plan("zendesk_upload_attachment", json!({"fileName": "a.pdf"})).unwrap();
    assert_eq!(
        (upload.method, upload.path.as_str()),
        (Method::POST, "/uploads")
    );
    let reply = plan(
        "zendesk_reply_to_ticket",
        json!({"ticketId": "7", "body": "Here", "uploadTokens": ["t1", "t2"]}),
    )
    .unwrap();
    assert_eq!(
        reply.body.unwrap(),
        json!({"ticket": {"comment": {"body": "Here", "public": true, "uploads": ["t1", "t2"]}}})
    );
}

#[test]
fn bad_help_center_and_attachment_input_is_refused_before_sending() {
    for (tool, args, says) in [
        ("zendesk_search_articles", json!({"query": "   "}), "query"),
        ("zendesk_search_articles", json!({}), "query"),
        (
            "zendesk_search_articles",
            json!({"query": "x", "maxBodyChars": "999999"}),
            "maxBodyChars",
        ),
        (
            "zendesk_search_articles",
            json!({"query": "x", "locale": "../etc"}),
            "locale",
        ),
        (
            "zendesk_apply_macro",
            json!({"ticketId": "7", "macroId": "x"}),
            "macroId",
        ),
        ("zendesk_get_macros", json!({"active": "yes"}), "active"),
        (
            "zendesk_upload_attachment",
            json!({"fileName": "../secret.txt"}),
            "`..`",
        ),
        (
            "zendesk_upload_attachment",
            json!({"fileName": "a.txt", "uploadToken": "a/b"}),
            "uploadToken",
        ),
        (
            "zendesk_get_attachment",
            json!({"attachmentId": "5", "maxChars": "0"}),
            "maxChars",
        ),
    ] {
        let error = plan(tool, args.clone()).unwrap_err();
        assert!(error.contains(says), "{tool} {args}: {error}");
    }
}

#[test]
fn triggers_and_automations_list_in_order_with_zendesks_active_filter() {
    let triggers = plan(
        "zendesk_get_triggers",
        json!({"active": "true", "perPage": "20", "pageAfter": "c1"}),
    )
    .unwrap();
    assert_eq!(
        (triggers.method.clone(), triggers.path.as_str()),
        (Method::GET, "/triggers")
    );
    assert_eq!(
        query(&triggers),
        vec![
            ("active", "true"),
            ("page[size]", "20"),
            ("page[after]", "c1")
        ]
    );
    let automations = plan("zendesk_get_automations", json!({"active": "false"})).unwrap();
    assert_eq!(automations.path, "/automations");
    assert_eq!(
        query(&automations),
        vec![("active", "false"), ("page[size]", "100")]
    );
    let error = plan("zendesk_get_triggers", json!({"active": "yes"})).unwrap_err();
    assert!(
        error.contains("active must be \"true\" or \"false\""),
        "{error}"
    );
    let error = plan("zendesk_get_automations", json!({"fields": "titel"})).unwrap_err();
    assert!(error.contains("did you mean \"title\""), "{error}");
    let error = plan("zendesk_get_triggers", json!({"perPage": "500"})).unwrap_err();
    assert!(
        error.contains("perPage must be a whole number from 1 to 100"),
        "{error}"
    );
}

#[test]
fn changes_since_reads_one_page_of_the_cursor_ticket_export() {
    let first = plan(
        "zendesk_get_changes_since",
        json!({"since": "2024-05-01T00:00:00Z", "perPage": "50"}),
    )
    .unwrap();
    assert_eq!(
        (first.method.clone(), first.path.as_str()),
        (Method::GET, "/incremental/tickets/cursor")
    );
    assert_eq!(
        query(&first),
        vec![("start_time", "1714521600"), ("per_page", "50")]
    );
    let next = plan(
        "zendesk_get_changes_since",
        json!({"cursor": " MTU3NjYxMzUzOS4wfHw0Njd8 "}),
    )
    .unwrap();
    assert_eq!(
        query(&next),
        vec![("cursor", "MTU3NjYxMzUzOS4wfHw0Njd8"), ("per_page", "100")]
    );
    let unix = plan("zendesk_get_changes_since", json!({"since": "1714521600"})).unwrap();
    assert_eq!(query(&unix)[0], ("start_time", "1714521600"));
}

#[test]
fn changes_since_refuses_a_recent_start_a_bad_time_and_both_or_neither_position() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let error = plan(
        "zendesk_get_changes_since",
        json!({"since": (now - 5).to_string()}),
    )
    .unwrap_err();
    assert!(
        error.contains("since must be at least a minute ago"),
        "{error}"
    );
    let error = plan("zendesk_get_changes_since", json!({"since": "last week"})).unwrap_err();
    assert!(error.contains("since must be an ISO 8601 time"), "{error}");
    let error = plan("zendesk_get_changes_since", json!({})).unwrap_err();
    assert!(error.contains("give since"), "{error}");
    let error = plan(
        "zendesk_get_changes_since",
        json!({"since": "1714521600", "cursor": "abc"}),
    )
    .unwrap_err();
    assert!(error.contains("not both"), "{error}");
    let error = plan(
        "zendesk_get_changes_since",
        json!({"since": "1714521600", "fields": "stauts"}),
    )
    .unwrap_err();
    assert!(error.contains("did you mean \"status\""), "{error}");
}
