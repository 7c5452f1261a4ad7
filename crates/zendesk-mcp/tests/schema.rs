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
            "additionalProperties": false,
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

#[test]
fn output_schema_is_permissive_and_nested() {
    let schema = Value::Object(schema::output_schema(&sample_spec()));
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], true);
    assert!(schema.get("required").is_none());
    let ticket = &schema["properties"]["ticket"];
    assert_eq!(ticket["type"], json!(["object", "null"]));
    assert_eq!(ticket["description"], "an output");
    // Nested objects stay open (JSON Schema's default) and carry no descriptions.
    assert!(ticket.get("additionalProperties").is_none(), "{ticket}");
    assert_eq!(
        ticket["properties"]["id"],
        json!({"type": ["number", "null"]})
    );
    let custom_fields = &ticket["properties"]["custom_fields"];
    assert_eq!(custom_fields["type"], json!(["array", "null"]));
    assert_eq!(custom_fields["items"]["type"], json!(["object", "null"]));
    // `json` values may be anything: no type constraint at all.
    let value = &custom_fields["items"]["properties"]["value"];
    assert!(value.get("type").is_none(), "{value}");
    assert_eq!(
        schema["properties"]["ticket_id"]["type"],
        json!(["number", "null"])
    );
}

#[test]
fn annotations_follow_the_registry_and_are_all_open_world() {
    let update = schema::annotations(&sample_spec());
    assert_eq!(update.read_only_hint, Some(false));
    assert_eq!(update.destructive_hint, Some(false));
    assert_eq!(update.idempotent_hint, Some(true));
    assert_eq!(update.open_world_hint, Some(true));
    assert_eq!(update.title.as_deref(), Some("Update ticket"));

    let mut delete = sample_spec();
    delete.id = "zendesk_delete_ticket";
    delete.annotations = Annotations {
        read_only: false,
        destructive: true,
        idempotent: false,
    };
    let delete = schema::annotations(&delete);
    assert_eq!(delete.destructive_hint, Some(true));
    assert_eq!(delete.idempotent_hint, Some(false));

    let mut read = sample_spec();
    read.annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
    };
    let read = schema::annotations(&read);
    assert_eq!(read.read_only_hint, Some(true));
    assert_eq!(read.destructive_hint, Some(false));
}

#[test]
fn mcp_tool_carries_name_description_schemas_and_annotations() {
    let tool = schema::mcp_tool(&sample_spec());
    assert_eq!(tool.name, "zendesk_update_ticket");
    assert_eq!(
        tool.description.as_deref(),
        Some("Update an existing ticket")
    );
    assert!(tool.output_schema.is_some());
    assert!(tool.annotations.is_some());
    let wire = serde_json::to_value(&tool).unwrap();
    assert_eq!(wire["annotations"]["idempotentHint"], true);
    assert_eq!(wire["annotations"]["openWorldHint"], true);
    assert_eq!(wire["inputSchema"]["required"], json!(["ticketId"]));
    assert_eq!(wire["outputSchema"]["type"], "object");
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
        assert_eq!(annotations.read_only_hint, Some(spec.annotations.read_only));
        assert_eq!(annotations.open_world_hint, Some(true));
        let output = mcp.output_schema.expect("output schema");
        assert_eq!(output["type"], "object", "{}", spec.id);
        for field in &spec.outputs {
            assert!(
                output["properties"].get(field.name).is_some(),
                "{}: output {} missing",
                spec.id,
                field.name
            );
        }
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
        only: None,
    }
    .select(registry())
    .unwrap();
    assert!(read_only.iter().all(|tool| tool.spec.annotations.read_only));
    assert_eq!(
        read_only.len(),
        all.iter().filter(|t| t.spec.annotations.read_only).count()
    );

    let error = ToolSelection {
        read_only: false,
        only: Some(vec!["zendesk_no_such_tool".into()]),
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
        read_only: false,
        only: Some(vec![]),
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
        read_only: false,
        only: Some(ToolSelection::parse_list(&format!(
            " {} ,, ",
            first.spec.id
        ))),
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

/// Zendesk answers a checkbox custom field with `true`, a multi-select with a list: the ticket
/// output schemas accept any JSON there, whatever the spec's summary type.
#[test]
fn custom_field_values_accept_what_zendesk_sends() {
    for id in [
        "zendesk_get_ticket",
        "zendesk_get_tickets",
        "zendesk_update_ticket",
    ] {
        let tool = registry().get(id).expect("a seed tool");
        let schema = Value::Object(schema::output_schema(&tool.spec));
        let ticket = if id == "zendesk_get_tickets" {
            &schema["properties"]["tickets"]["items"]
        } else {
            &schema["properties"]["ticket"]
        };
        let value = &ticket["properties"]["custom_fields"]["items"]["properties"]["value"];
        assert_eq!(value, &json!({}), "{id}: {value}");
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
