//! Everything an agent sees beyond `tools.json` is pinned in a snapshot, so any change to it
//! shows up in review: the fourteen tools the seed does not have (ids, descriptions, params with
//! their closed value sets and list forms, outputs, annotations), and the optional params added
//! to the seed's tools.

use serde_json::{Value, json};
use zendesk_tools::{ParamForm, ParamSpec, ToolSpec, registry};

fn spec_tools() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/spec/tools.json"
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["tools"].as_array().unwrap().clone()
}

fn param(param: &ParamSpec) -> Value {
    let mut value = serde_json::to_value(param).unwrap();
    match param.form {
        ParamForm::Text => {}
        ParamForm::OneOf(values) => value["enum"] = json!(values),
        ParamForm::List => value["list"] = json!(true),
    }
    value
}

fn declaration(spec: &ToolSpec) -> Value {
    let mut value = serde_json::to_value(spec).unwrap();
    value["params"] = spec.params.iter().map(param).collect();
    value["annotations"] = json!({
        "read_only": spec.annotations.read_only,
        "destructive": spec.annotations.destructive,
        "idempotent": spec.annotations.idempotent,
    });
    value
}

#[test]
fn the_additions_declarations_are_pinned() {
    let seed = spec_tools();
    let seed_params = |id: &str| -> Option<Vec<String>> {
        seed.iter().find(|t| t["id"] == id).map(|t| {
            t["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect()
        })
    };
    let mut tools = Vec::new();
    let mut added = serde_json::Map::new();
    for tool in registry().tools() {
        match seed_params(tool.spec.id) {
            None => tools.push(declaration(&tool.spec)),
            Some(names) => {
                let extra: Vec<Value> = tool
                    .spec
                    .params
                    .iter()
                    .filter(|p| !names.iter().any(|n| n == p.name))
                    .map(param)
                    .collect();
                if !extra.is_empty() {
                    added.insert(tool.spec.id.to_owned(), Value::Array(extra));
                }
            }
        }
    }
    assert_eq!(tools.len(), 14);
    insta::assert_json_snapshot!(
        "additions",
        json!({ "tools": tools, "added_to_seed_tools": added })
    );
}

/// The closed value sets of the seed's params, as MCP schemas show them: these are not in the
/// snapshot above (the seed params' texts are tools.json's), so they are pinned here.
#[test]
fn the_seed_params_closed_sets_and_lists_are_pinned() {
    let mut forms = serde_json::Map::new();
    for tool in registry().tools() {
        for p in &tool.spec.params {
            let form = match p.form {
                ParamForm::Text => continue,
                ParamForm::OneOf(values) => json!(values),
                ParamForm::List => json!("list"),
            };
            forms.insert(format!("{}.{}", tool.spec.id, p.name), form);
        }
    }
    insta::assert_json_snapshot!("forms", forms);
}
