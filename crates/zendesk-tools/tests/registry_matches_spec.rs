//! The registry against the spec: every tool of `spec/tools.json` (read at run time, the single
//! source of truth) is registered with the same id, params (name, type, required, in order) and
//! outputs (name, type, description, nested fields, recursively); its descriptions and its
//! params' say what the spec's say, and may say more after it (what a model must know: that
//! `tags` replaces all tags, how the search language reads). The additions of TOOL_BEHAVIOR.md
//! are held to their own expectations. Seed tools may carry only the optional params listed in
//! `ADDED_OPTIONAL_PARAMS`, after their seed params.

use std::collections::BTreeSet;

use serde_json::Value;
use zendesk_tools::{FilledBy, OutputSpec, ToolSpec, registry};

/// Optional params added to seed tools beyond tools.json, `(tool, param)`, in order: the bulk
/// and merge tools take `waitSeconds` to follow the job they start; every read takes `fields`;
/// update says who sees its comment (`commentPublic`), adds and removes tags while keeping the
/// rest, changes the requester, the problem and the CCs; create finds or creates the requester by
/// email, follows up a closed ticket, names its problem; merge says who sees both comments.
/// Nothing else may differ.
const ADDED_OPTIONAL_PARAMS: &[(&str, &str)] = &[
    ("zendesk_get_tickets", "fields"),
    ("zendesk_get_ticket", "fields"),
    ("zendesk_create_ticket", "requesterEmail"),
    ("zendesk_create_ticket", "requesterName"),
    ("zendesk_create_ticket", "viaFollowupSourceId"),
    ("zendesk_create_ticket", "problemId"),
    ("zendesk_create_tickets_bulk", "waitSeconds"),
    ("zendesk_update_ticket", "commentPublic"),
    ("zendesk_update_ticket", "addTags"),
    ("zendesk_update_ticket", "removeTags"),
    ("zendesk_update_ticket", "requesterId"),
    ("zendesk_update_ticket", "problemId"),
    ("zendesk_update_ticket", "emailCcs"),
    ("zendesk_update_tickets_bulk", "waitSeconds"),
    ("zendesk_merge_tickets", "targetCommentPublic"),
    ("zendesk_merge_tickets", "waitSeconds"),
    ("zendesk_merge_tickets", "sourceComment"),
    ("zendesk_merge_tickets", "sourceCommentPublic"),
    ("zendesk_get_users", "fields"),
    ("zendesk_get_user", "fields"),
    ("zendesk_get_current_user", "fields"),
    ("zendesk_search_users", "fields"),
    ("zendesk_create_users_bulk", "waitSeconds"),
    ("zendesk_update_users_bulk", "waitSeconds"),
    ("zendesk_get_organizations", "fields"),
    ("zendesk_get_organization", "fields"),
    ("zendesk_autocomplete_organizations", "fields"),
    ("zendesk_create_organizations_bulk", "waitSeconds"),
    ("zendesk_search", "fields"),
];

fn added_params(tool: &str) -> Vec<&'static str> {
    ADDED_OPTIONAL_PARAMS
        .iter()
        .filter(|(id, _)| *id == tool)
        .map(|(_, param)| *param)
        .collect()
}

/// The spec's tools, from `../shared/spec/tools.json` beside the repository. Without it (a clone
/// on its own) the tests that compare against it say so and pass, unless `ZD_REQUIRE_SHARED=1`
/// (CI), which makes its absence a failure.
fn spec_tools(test: &str) -> Option<Vec<Value>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/spec/tools.json"
    );
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if std::env::var("ZD_REQUIRE_SHARED").as_deref() == Ok("1") => {
            panic!("ZD_REQUIRE_SHARED=1 but {path} cannot be read: {error}")
        }
        Err(error) => {
            eprintln!(
                "SKIP {test}: the spec's tools.json is not beside the repository ({path}: \
                 {error}); this test compares the registry with it"
            );
            return None;
        }
    };
    let spec: Value = serde_json::from_str(&text).expect("tools.json is JSON");
    Some(
        spec["tools"]
            .as_array()
            .expect("tools.json has a tools array")
            .clone(),
    )
}

/// Our text is the spec's, word for word, and may go on after it.
fn says_at_least(ours: &str, theirs: &Value, what: &str) {
    let theirs = theirs
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no description"));
    assert!(
        ours.starts_with(theirs),
        "{what}: the description must begin with the spec's\n ours: {ours}\nspec: {theirs}"
    );
}

/// The spec's shape with our descriptions cut back to the spec's, where they say more.
fn spec_texts(mine: &mut Value, theirs: &Value) {
    let cut = |ours: &mut Value, spec: &Value| {
        if let (Some(o), Some(t)) = (ours.as_str(), spec.as_str())
            && o.starts_with(t)
        {
            *ours = Value::String(t.to_owned());
        }
    };
    cut(&mut mine["description"], &theirs["description"]);
    if let (Some(ours), Some(spec)) = (mine["params"].as_array_mut(), theirs["params"].as_array()) {
        for (our, their) in ours.iter_mut().zip(spec) {
            cut(&mut our["description"], &their["description"]);
        }
    }
}

fn compare_outputs(tool: &str, path: &str, ours: &[OutputSpec], theirs: &Value) {
    let theirs: &[Value] = theirs.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let our_names: Vec<&str> = ours.iter().map(|o| o.name).collect();
    let their_names: Vec<&str> = theirs.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(our_names, their_names, "{tool}: output names at {path}");
    for (our, their) in ours.iter().zip(theirs) {
        let here = format!("{path}.{}", our.name);
        assert_eq!(our.ty, their["type"], "{tool}: type of {here}");
        assert_eq!(
            our.description, their["description"],
            "{tool}: description of {here}"
        );
        compare_outputs(tool, &here, &our.fields, &their["fields"]);
    }
}

#[test]
fn every_seed_tool_matches_tools_json_exactly() {
    let Some(spec) = spec_tools("every_seed_tool_matches_tools_json_exactly") else {
        return;
    };
    assert_eq!(spec.len(), 26, "the seed has 26 tools");
    for their in &spec {
        let id = their["id"].as_str().unwrap();
        let tool = registry()
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not registered"));
        let ours: &ToolSpec = &tool.spec;
        says_at_least(ours.description, &their["description"], id);

        let their_params = their["params"].as_array().unwrap();
        let our_names: Vec<&str> = ours.params.iter().map(|p| p.name).collect();
        let mut their_names: Vec<&str> = their_params
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        // The allowed additions come after the seed params, in the listed order.
        let added = added_params(id);
        their_names.extend(&added);
        assert_eq!(our_names, their_names, "{id}: param names and order");
        for our in &ours.params[their_params.len()..] {
            assert!(!our.required, "{id}: added param {} is optional", our.name);
            assert_eq!(our.ty, "string", "{id}: type of added {}", our.name);
            assert_eq!(
                our.filled_by,
                FilledBy::Model,
                "{id}: who fills {}",
                our.name
            );
            assert!(
                our.description.starts_with("Optional: "),
                "{id}: added {} says it is optional",
                our.name
            );
        }
        for (our, their) in ours.params.iter().zip(their_params) {
            assert_eq!(our.ty, their["type"], "{id}: type of {}", our.name);
            assert_eq!(
                our.required, their["required"],
                "{id}: required of {}",
                our.name
            );
            says_at_least(
                our.description,
                &their["description"],
                &format!("{id}.{}", our.name),
            );
            let credential = matches!(our.name, "email" | "apiToken" | "subdomain");
            let expected = if credential {
                FilledBy::Configuration
            } else {
                FilledBy::Model
            };
            assert_eq!(our.filled_by, expected, "{id}: who fills {}", our.name);
        }
        compare_outputs(id, id, &ours.outputs, &their["outputs"]);
    }
}

#[test]
fn the_registry_json_is_tools_json_for_the_seed_tools() {
    // The serialised registry (what `zd tools list --json` prints) equals the spec, tool by tool.
    let Some(spec) = spec_tools("the_registry_json_is_tools_json_for_the_seed_tools") else {
        return;
    };
    let ours = registry().to_json();
    for their in spec {
        let id = their["id"].as_str().unwrap();
        let mut mine = ours["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from to_json"))
            .clone();
        // Only the allowed optional params are set aside; each must be there to be set aside.
        let params = mine["params"].as_array_mut().unwrap();
        for name in added_params(id) {
            let at = params.iter().position(|p| p["name"] == name);
            let at = at.unwrap_or_else(|| panic!("{id}: allowed addition {name} is missing"));
            assert_eq!(params[at]["required"], false, "{id}: {name} is optional");
            params.remove(at);
        }
        spec_texts(&mut mine, &their);
        assert_eq!(mine, their, "{id}");
    }
}

#[test]
fn the_additions_are_exactly_the_tools_beyond_the_seed() {
    let Some(spec) = spec_tools("the_additions_are_exactly_the_tools_beyond_the_seed") else {
        return;
    };
    let seed: BTreeSet<String> = spec
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    let extra: BTreeSet<&str> = registry()
        .tools()
        .iter()
        .map(|t| t.spec.id)
        .filter(|id| !seed.contains(*id))
        .collect();
    let expected: BTreeSet<&str> = [
        "zendesk_get_job_status",
        "zendesk_get_organization_fields",
        "zendesk_get_organization_field",
        "zendesk_create_organization_field",
        "zendesk_update_organization_field",
        "zendesk_delete_organization_field",
        "zendesk_reorder_organization_fields",
        "zendesk_get_ticket_comments",
        "zendesk_add_internal_note",
        "zendesk_reply_to_ticket",
        "zendesk_get_ticket_audits",
        "zendesk_get_ticket_fields",
        "zendesk_get_groups",
        "zendesk_get_group_memberships",
        "zendesk_get_macros",
        "zendesk_apply_macro",
        "zendesk_get_views",
        "zendesk_get_view_tickets",
        "zendesk_get_view_count",
        "zendesk_get_triggers",
        "zendesk_get_automations",
        "zendesk_get_changes_since",
        "zendesk_search_articles",
        "zendesk_get_article",
        "zendesk_get_attachment",
        "zendesk_upload_attachment",
    ]
    .into();
    assert_eq!(extra, expected);
    assert_eq!(registry().tools().len(), 52);
    let ids: BTreeSet<&str> = registry().tools().iter().map(|t| t.spec.id).collect();
    assert_eq!(ids.len(), 52, "tool ids are unique");
}

/// `(param, required)` for each addition, after the three credentials, as TOOL_BEHAVIOR.md
/// lists them; and the output keys.
#[test]
fn the_additions_declare_the_params_and_outputs_of_tool_behavior() {
    let settings = [
        ("description", false),
        ("position", false),
        ("active", false),
        ("regexpForValidation", false),
        ("tag", false),
        ("customFieldOptions", false),
        ("relationshipTargetType", false),
    ];
    let create: Vec<(&str, bool)> = [("key", true), ("title", true), ("type", true)]
        .into_iter()
        .chain(settings)
        .collect();
    let update: Vec<(&str, bool)> = [("fieldIdOrKey", true), ("title", false)]
        .into_iter()
        .chain(settings)
        .collect();
    type Case<'a> = (&'a str, Vec<(&'a str, bool)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "zendesk_get_job_status",
            vec![("jobId", true), ("waitSeconds", false)],
            vec!["job_status", "job_id", "done"],
        ),
        (
            "zendesk_get_organization_fields",
            vec![("perPage", false), ("pageAfter", false), ("fields", false)],
            vec!["organization_fields", "paging", "metadata"],
        ),
        (
            "zendesk_get_organization_field",
            vec![("fieldIdOrKey", true), ("fields", false)],
            vec!["organization_field", "organization_field_id"],
        ),
        (
            "zendesk_create_organization_field",
            create,
            vec!["organization_field", "organization_field_id"],
        ),
        (
            "zendesk_update_organization_field",
            update,
            vec!["organization_field", "organization_field_id"],
        ),
        (
            "zendesk_delete_organization_field",
            vec![("fieldIdOrKey", true)],
            vec!["deleted", "organization_field_id"],
        ),
        (
            "zendesk_reorder_organization_fields",
            vec![("fieldIds", true)],
            vec!["reordered", "organization_field_ids"],
        ),
        (
            "zendesk_get_ticket_comments",
            vec![
                ("ticketId", true),
                ("sortOrder", false),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["comments", "paging", "metadata"],
        ),
        (
            "zendesk_add_internal_note",
            vec![("ticketId", true), ("body", true), ("uploadTokens", false)],
            vec!["ticket_id", "comment", "status", "audit"],
        ),
        (
            "zendesk_reply_to_ticket",
            vec![
                ("ticketId", true),
                ("body", true),
                ("status", false),
                ("emailCcs", false),
                ("uploadTokens", false),
            ],
            vec!["ticket_id", "comment", "status", "audit"],
        ),
        (
            "zendesk_get_ticket_audits",
            vec![
                ("ticketId", true),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["audits", "paging", "metadata"],
        ),
        (
            "zendesk_get_ticket_fields",
            vec![("perPage", false), ("pageAfter", false), ("fields", false)],
            vec!["ticket_fields", "paging", "metadata"],
        ),
        (
            "zendesk_get_groups",
            vec![("perPage", false), ("pageAfter", false), ("fields", false)],
            vec!["groups", "paging", "metadata"],
        ),
        (
            "zendesk_get_group_memberships",
            vec![
                ("groupId", false),
                ("userId", false),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["group_memberships", "paging", "metadata"],
        ),
        (
            "zendesk_get_macros",
            vec![
                ("query", false),
                ("active", false),
                ("perPage", false),
                ("pageAfter", false),
                ("page", false),
                ("fields", false),
            ],
            vec!["macros", "paging", "metadata"],
        ),
        (
            "zendesk_apply_macro",
            vec![("ticketId", true), ("macroId", true)],
            vec![
                "ticket_id",
                "macro_id",
                "applied",
                "changes",
                "comment",
                "to_apply",
            ],
        ),
        (
            "zendesk_get_views",
            vec![
                ("active", false),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["views", "paging", "metadata"],
        ),
        (
            "zendesk_get_view_tickets",
            vec![
                ("viewId", true),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["tickets", "paging", "metadata"],
        ),
        (
            "zendesk_get_view_count",
            vec![("viewId", true)],
            vec!["view_id", "count", "fresh"],
        ),
        (
            "zendesk_get_triggers",
            vec![
                ("active", false),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["triggers", "paging", "metadata"],
        ),
        (
            "zendesk_get_automations",
            vec![
                ("active", false),
                ("perPage", false),
                ("pageAfter", false),
                ("fields", false),
            ],
            vec!["automations", "paging", "metadata"],
        ),
        (
            "zendesk_get_changes_since",
            vec![
                ("since", false),
                ("cursor", false),
                ("perPage", false),
                ("fields", false),
            ],
            vec!["tickets", "after_cursor", "end_of_stream"],
        ),
        (
            "zendesk_search_articles",
            vec![
                ("query", true),
                ("locale", false),
                ("maxBodyChars", false),
                ("perPage", false),
                ("page", false),
                ("fields", false),
            ],
            vec!["articles", "paging", "metadata"],
        ),
        (
            "zendesk_get_article",
            vec![
                ("articleId", true),
                ("maxBodyChars", false),
                ("fields", false),
            ],
            vec!["article", "article_id"],
        ),
        (
            "zendesk_get_attachment",
            vec![("attachmentId", true), ("maxChars", false)],
            vec!["attachment", "content", "truncated", "image", "note"],
        ),
        (
            "zendesk_upload_attachment",
            vec![("fileName", true), ("uploadToken", false)],
            vec!["token", "attachment", "attachments"],
        ),
    ];
    for (id, params, outputs) in cases {
        let spec = &registry().get(id).unwrap().spec;
        let credentials: Vec<(&str, bool, FilledBy)> = spec.params[..3]
            .iter()
            .map(|p| (p.name, p.required, p.filled_by))
            .collect();
        assert_eq!(
            credentials,
            vec![
                ("email", true, FilledBy::Configuration),
                ("apiToken", true, FilledBy::Configuration),
                ("subdomain", true, FilledBy::Configuration),
            ],
            "{id}: credentials"
        );
        let rest: Vec<(&str, bool)> = spec.params[3..]
            .iter()
            .map(|p| (p.name, p.required))
            .collect();
        assert_eq!(rest, params, "{id}: params");
        assert!(
            spec.params
                .iter()
                .all(|p| p.ty == "string" && !p.description.is_empty())
        );
        let names: Vec<&str> = spec.outputs.iter().map(|o| o.name).collect();
        assert_eq!(names, outputs, "{id}: outputs");
        assert!(!spec.description.is_empty());
    }
    // The job status of the follower is the same object the bulk tools return.
    let follower = &registry()
        .get("zendesk_get_job_status")
        .unwrap()
        .spec
        .outputs[0];
    let bulk = &registry()
        .get("zendesk_create_tickets_bulk")
        .unwrap()
        .spec
        .outputs[0];
    assert_eq!(
        serde_json::to_value(follower).unwrap(),
        serde_json::to_value(bulk).unwrap()
    );
}

#[test]
fn every_bulk_tool_takes_an_optional_wait() {
    // Every tool whose output is a job status can follow its job, and only those.
    for tool in registry().tools() {
        let spec = &tool.spec;
        let starts_a_job = spec.id != "zendesk_get_job_status"
            && spec.outputs.first().is_some_and(|o| o.name == "job_status");
        let wait = spec.params.iter().find(|p| p.name == "waitSeconds");
        if starts_a_job {
            let wait = wait.unwrap_or_else(|| panic!("{}: no waitSeconds", spec.id));
            assert!(!wait.required, "{}", spec.id);
            assert!(wait.description.contains("0-600"), "{}", spec.id);
            assert!(
                added_params(spec.id).contains(&"waitSeconds"),
                "{}",
                spec.id
            );
        } else if spec.id != "zendesk_get_job_status" {
            assert!(wait.is_none(), "{}: unexpected waitSeconds", spec.id);
        }
    }
}

#[test]
fn annotations_say_which_tools_only_read() {
    for tool in registry().tools() {
        let spec = &tool.spec;
        // Previewing a macro changes nothing: it reads what the macro would do.
        let reads = ["zendesk_get_", "zendesk_search", "zendesk_autocomplete_"]
            .iter()
            .any(|prefix| spec.id.starts_with(prefix))
            || spec.id == "zendesk_apply_macro";
        assert_eq!(spec.annotations.read_only, reads, "{}", spec.id);
        let destroys = spec.id.contains("delete") || spec.id.contains("merge");
        assert_eq!(spec.annotations.destructive, destroys, "{}", spec.id);
    }
}
