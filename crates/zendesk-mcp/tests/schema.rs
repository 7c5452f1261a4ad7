//! Schema generation: registry declarations -> MCP tool descriptions. Checked on hand-made specs
//! (exact shapes) and on every tool of the real registry (credentials hidden, required lists,
//! annotations, output schemas well formed).

use serde_json::{Value, json};
use zendesk_mcp::{
    ToolSelection, ZendeskMcpServer, prepare_arguments, schema, to_call_tool_result,
};
use zendesk_tools::{
    Annotations, CallContext, FilledBy, OutputSpec, ParamForm, ParamSpec, ToolResult, ToolSpec,
    registry,
};

fn param(name: &'static str, required: bool, filled_by: FilledBy) -> ParamSpec {
    ParamSpec {
        name,
        ty: "string",
        required,
        description: "a parameter",
        filled_by,
        form: ParamForm::Text,
        sets: None,
        example: None,
    }
}

fn output(name: &'static str, ty: &'static str, fields: Vec<OutputSpec>) -> OutputSpec {
    OutputSpec {
        name,
        ty,
        description: "an output",
        fields,
    }
}

/// Shaped like `zendesk_update_ticket`: credentials, one required and one optional model param.
fn sample_spec() -> ToolSpec {
    ToolSpec {
        id: "zendesk_update_ticket",
        description: "Update an existing ticket",
        params: vec![
            param("email", true, FilledBy::Configuration),
            param("apiToken", true, FilledBy::Configuration),
            param("subdomain", true, FilledBy::Configuration),
            param("ticketId", true, FilledBy::Model),
            param("status", false, FilledBy::Model),
        ],
        outputs: vec![
            output(
                "ticket",
                "object",
                vec![
                    output("id", "number", vec![]),
                    output(
                        "custom_fields",
                        "array",
                        vec![output("value", "json", vec![])],
                    ),
                ],
            ),
            output("ticket_id", "number", vec![]),
        ],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: true,
        },
        toolset: "tickets",
    }
}

const CREDENTIALS: [&str; 3] = ["email", "apiToken", "subdomain"];

#[test]
fn input_schema_hides_credentials_and_lists_required_model_params() {
    let schema = Value::Object(schema::input_schema(&sample_spec()));
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "ticketId": {"type": "string", "description": "a parameter"},
                "status": {"type": "string", "description": "a parameter"},
            },
            "required": ["ticketId"],
        })
    );
}

#[test]
fn input_schema_without_required_params_has_no_required_list() {
    let mut spec = sample_spec();
    spec.params.retain(|p| p.name != "ticketId");
    let schema = schema::input_schema(&spec);
    assert!(!schema.contains_key("required"), "{schema:?}");
}

/// Only the hints whose MCP default is not the truth are sent: a reader says it only reads; a
/// writer says whether it destroys, and that it is idempotent when it is.
#[test]
fn annotations_state_only_what_differs_from_mcps_defaults() {
    let update = serde_json::to_value(schema::annotations(&sample_spec())).unwrap();
    assert_eq!(
        update,
        json!({"destructiveHint": false, "idempotentHint": true})
    );

    let mut delete = sample_spec();
    delete.annotations = Annotations {
        read_only: false,
        destructive: true,
        idempotent: false,
    };
    let delete = serde_json::to_value(schema::annotations(&delete)).unwrap();
    assert_eq!(delete, json!({"destructiveHint": true}));

    let mut read = sample_spec();
    read.annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
    };
    let read = serde_json::to_value(schema::annotations(&read)).unwrap();
    assert_eq!(read, json!({"readOnlyHint": true}));
}

#[test]
fn mcp_tool_carries_name_description_input_schema_and_annotations_only() {
    let tool = schema::mcp_tool(&sample_spec());
    let wire = serde_json::to_value(&tool).unwrap();
    assert_eq!(
        wire,
        json!({
            "name": "zendesk_update_ticket",
            "description": "Update an existing ticket",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "ticketId": {"type": "string", "description": "a parameter"},
                    "status": {"type": "string", "description": "a parameter"},
                },
                "required": ["ticketId"],
            },
            "annotations": {"destructiveHint": false, "idempotentHint": true},
        })
    );
}

#[test]
fn arguments_refuse_credentials_and_unknown_names() {
    let spec = sample_spec();
    let args = |value: Value| match value {
        Value::Object(map) => Some(map),
        _ => None,
    };
    let error =
        prepare_arguments(&spec, args(json!({"ticketId": "1", "subdomain": "evil"}))).unwrap_err();
    assert!(error.contains("`subdomain`"), "{error}");
    assert!(error.contains("configuration"), "{error}");

    let error = prepare_arguments(&spec, args(json!({"ticketID": "1"}))).unwrap_err();
    assert!(error.contains("`ticketID`"), "{error}");
    assert!(error.contains("ticketId, status"), "{error}");
    assert!(
        !error.contains("apiToken"),
        "credentials are not offered: {error}"
    );
}

#[test]
fn arguments_pass_through_unchanged_for_the_registry_to_check() {
    let spec = sample_spec();
    let args = json!({"ticketId": 12345, "status": null});
    let prepared = prepare_arguments(&spec, args.as_object().cloned()).unwrap();
    assert_eq!(prepared, args);
    assert_eq!(prepare_arguments(&spec, None).unwrap(), json!({}));
}

#[test]
fn results_map_to_structured_content_or_is_error() {
    let ok = to_call_tool_result(
        "zendesk_get_ticket",
        ToolResult {
            success: true,
            output: json!({"ticket": {"id": 1}, "ticket_id": 1}),
            error: None,
        },
    );
    assert_eq!(ok.is_error, Some(false));
    assert_eq!(
        ok.structured_content,
        Some(json!({"ticket": {"id": 1}, "ticket_id": 1}))
    );
    let text = serde_json::to_value(&ok.content).unwrap();
    let text = text[0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        json!({"ticket": {"id": 1}, "ticket_id": 1})
    );

    let failed = to_call_tool_result(
        "zendesk_get_ticket",
        ToolResult {
            success: false,
            output: json!({}),
            error: Some("ticketId must be a numeric string such as \"12345\"".into()),
        },
    );
    assert_eq!(failed.is_error, Some(true));
    assert!(failed.structured_content.is_none());
    let wire = serde_json::to_value(&failed.content).unwrap();
    assert_eq!(
        wire.as_array().unwrap().len(),
        1,
        "empty output adds nothing"
    );
    assert!(
        wire[0]["text"]
            .as_str()
            .unwrap()
            .contains("ticketId must be a numeric string")
    );
}

#[test]
fn every_registry_tool_hides_credentials_and_keeps_its_required_params() {
    // The seed's 26 tools at least: an empty registry would make this test vacuous.
    assert!(
        registry().tools().len() >= 26,
        "{}",
        registry().tools().len()
    );
    for tool in registry().tools() {
        let spec = &tool.spec;
        let mcp = schema::mcp_tool(spec);
        let input = Value::Object((*mcp.input_schema).clone());
        let properties = input["properties"].as_object().unwrap();
        for credential in CREDENTIALS {
            assert!(
                !properties.contains_key(credential),
                "{}: {credential} is visible to the model",
                spec.id
            );
        }
        let expected_required: Vec<&str> = spec
            .params
            .iter()
            .filter(|p| p.required && p.filled_by == FilledBy::Model)
            .map(|p| p.name)
            .collect();
        let required: Vec<&str> = input
            .get("required")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(required, expected_required, "{}", spec.id);
        assert_eq!(
            properties.len(),
            spec.params
                .iter()
                .filter(|p| p.filled_by == FilledBy::Model)
                .count(),
            "{}",
            spec.id
        );
        let annotations = mcp.annotations.expect("annotations");
        assert_eq!(
            annotations.read_only_hint.unwrap_or(false),
            spec.annotations.read_only,
            "{}",
            spec.id
        );
        if !spec.annotations.read_only {
            assert_eq!(
                annotations.destructive_hint,
                Some(spec.annotations.destructive),
                "{}",
                spec.id
            );
        }
        assert!(mcp.output_schema.is_none(), "{}", spec.id);
    }
}

#[test]
fn registry_credentials_are_configuration_params() {
    for tool in registry().tools() {
        for param in &tool.spec.params {
            if CREDENTIALS.contains(&param.name) {
                assert_eq!(
                    param.filled_by,
                    FilledBy::Configuration,
                    "{}: {}",
                    tool.spec.id,
                    param.name
                );
            }
        }
    }
}

#[test]
fn selection_filters_read_only_and_refuses_unknown_names() {
    let all = registry().tools();
    let read_only = ToolSelection {
        read_only: true,
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert!(read_only.iter().all(|tool| tool.spec.annotations.read_only));
    assert_eq!(
        read_only.len(),
        all.iter().filter(|t| t.spec.annotations.read_only).count()
    );

    let error = ToolSelection {
        only: Some(vec!["zendesk_no_such_tool".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .err()
    .expect("refused")
    .to_string();
    assert!(error.contains("zendesk_no_such_tool"), "{error}");
    for tool in all {
        assert!(error.contains(tool.spec.id), "valid names listed: {error}");
    }

    let error = ToolSelection {
        only: Some(vec![]),
        ..ToolSelection::default()
    }
    .select(registry())
    .err()
    .expect("refused");
    assert!(error.to_string().contains("empty"));
}

#[test]
fn selection_of_named_tools_keeps_exactly_those() {
    let all = registry().tools();
    let Some(first) = all.first() else {
        return;
    };
    let chosen = ToolSelection {
        only: Some(ToolSelection::parse_list(&format!(
            " {} ,, ",
            first.spec.id
        ))),
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0].spec.id, first.spec.id);
    let server = ZendeskMcpServer::new(chosen, CallContext::default());
    assert_eq!(server.tool_names(), vec![first.spec.id]);

    if let Some(writer) = all.iter().find(|t| !t.spec.annotations.read_only) {
        let error = ToolSelection {
            read_only: true,
            only: Some(vec![writer.spec.id.to_owned()]),
            ..ToolSelection::default()
        }
        .select(registry())
        .err()
        .expect("refused")
        .to_string();
        assert!(error.contains(writer.spec.id), "{error}");
    }
}

#[test]
fn closed_value_sets_are_enums_and_lists_take_arrays_too() {
    let tool = registry().get("zendesk_update_ticket").unwrap();
    let schema = Value::Object(schema::input_schema(&tool.spec));
    assert_eq!(
        schema["properties"]["status"]["enum"],
        json!(["new", "open", "pending", "hold", "solved", "closed"])
    );
    assert_eq!(schema["properties"]["status"]["type"], "string");
    assert_eq!(
        schema["properties"]["commentPublic"]["enum"],
        json!(["true", "false"])
    );
    assert_eq!(
        schema["properties"]["tags"]["type"],
        json!(["string", "array"])
    );
    assert!(schema["properties"]["ticketId"].get("enum").is_none());
    let search = registry().get("zendesk_search").unwrap();
    let schema = Value::Object(schema::input_schema(&search.spec));
    assert_eq!(
        schema["properties"]["filterType"]["enum"],
        json!(["ticket", "user", "organization", "group"])
    );
    // Every closed set of the registry reaches the schema.
    for tool in registry().tools() {
        let schema = Value::Object(schema::input_schema(&tool.spec));
        for param in &tool.spec.params {
            if let ParamForm::OneOf(values) = param.form {
                assert_eq!(
                    schema["properties"][param.name]["enum"],
                    json!(values),
                    "{}.{}",
                    tool.spec.id,
                    param.name
                );
            }
        }
    }
}

#[test]
fn an_attachment_image_is_mcp_image_content_and_leaves_the_json() {
    let result = to_call_tool_result(
        "zendesk_get_attachment",
        ToolResult {
            success: true,
            output: json!({"attachment": {"id": 5, "file_name": "shot.png"}, "content": null,
                           "truncated": false, "image": {"mime_type": "image/png", "data": "iVBORw0KGgo="}}),
            error: None,
        },
    );
    let wire = serde_json::to_value(&result.content).unwrap();
    assert_eq!(wire[1]["type"], "image");
    assert_eq!(wire[1]["data"], "iVBORw0KGgo=");
    assert_eq!(wire[1]["mimeType"], "image/png");
    let structured = result.structured_content.unwrap();
    assert!(structured["image"].get("data").is_none(), "{structured}");
    assert_eq!(structured["image"]["mime_type"], "image/png");
    let text: Value = serde_json::from_str(wire[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, structured, "the text is the structured content");
    // A text file stays one text block.
    let text_file = to_call_tool_result(
        "zendesk_get_attachment",
        ToolResult {
            success: true,
            output: json!({"attachment": {"id": 6}, "content": "hello", "truncated": false}),
            error: None,
        },
    );
    assert_eq!(text_file.content.len(), 1);
}

fn ids(tools: &[&zendesk_tools::Tool]) -> Vec<&'static str> {
    tools.iter().map(|tool| tool.spec.id).collect()
}

#[test]
fn every_tool_is_in_exactly_one_toolset_and_the_sets_cover_the_registry() {
    let sets = registry().toolsets();
    let names: Vec<&str> = sets.iter().map(|set| set.name).collect();
    for expected in [
        "tickets",
        "conversations",
        "users",
        "organizations",
        "search",
        "help_center",
        "business_rules",
        "admin",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let mut seen = 0;
    for set in sets {
        let chosen = ToolSelection {
            toolsets: Some(vec![set.name.to_owned()]),
            ..ToolSelection::default()
        }
        .select(registry())
        .unwrap();
        let own = chosen
            .iter()
            .filter(|tool| tool.spec.toolset == set.name)
            .count();
        assert!(own > 0, "{} holds no tool", set.name);
        seen += own;
    }
    assert_eq!(seen, registry().tools().len());
}

#[test]
fn toolsets_combine_with_named_tools_and_read_only() {
    let search = ToolSelection {
        toolsets: Some(vec!["search".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert_eq!(ids(&search), ["zendesk_search", "zendesk_search_count"]);

    // Named tools join the sets' tools, in registry order.
    let with_ticket = ToolSelection {
        toolsets: Some(vec!["search".into()]),
        only: Some(vec!["zendesk_get_ticket".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert_eq!(
        ids(&with_ticket),
        [
            "zendesk_get_ticket",
            "zendesk_search",
            "zendesk_search_count"
        ]
    );

    // --read-only keeps a set's readers and drops its writers without complaint.
    let users = ToolSelection {
        toolsets: Some(vec!["users".into()]),
        read_only: true,
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert!(!users.is_empty());
    assert!(users.iter().all(|tool| tool.spec.annotations.read_only));
    assert!(ids(&users).contains(&"zendesk_get_user"));
    assert!(!ids(&users).contains(&"zendesk_create_user"));

    let error = ToolSelection {
        toolsets: Some(vec!["tickets".into(), "billing".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .err()
    .expect("refused")
    .to_string();
    assert!(error.contains("unknown toolset(s): billing"), "{error}");
    assert!(error.contains("help_center"), "valid sets listed: {error}");
}

/// A set with a bulk tool or a merge brings the job follower along, so the job can be followed.
#[test]
fn tools_that_start_jobs_bring_the_job_follower() {
    let users = ToolSelection {
        toolsets: Some(vec!["users".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert!(ids(&users).contains(&"zendesk_create_users_bulk"));
    assert!(ids(&users).contains(&"zendesk_get_job_status"));
    let one = ToolSelection {
        only: Some(vec!["zendesk_merge_tickets".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert_eq!(
        ids(&one),
        ["zendesk_merge_tickets", "zendesk_get_job_status"]
    );
    let search = ToolSelection {
        toolsets: Some(vec!["search".into()]),
        ..ToolSelection::default()
    }
    .select(registry())
    .unwrap();
    assert!(!ids(&search).contains(&"zendesk_get_job_status"));
}
