//! The seven additions have no tools.json to be held to, so their full declarations (ids,
//! descriptions, params, outputs, annotations) are pinned in a snapshot: any change to what an
//! agent sees shows up in review.

use serde_json::{Value, json};
use zendesk_tools::registry;

#[test]
fn the_additions_declarations_are_pinned() {
    let additions: Vec<Value> = registry()
        .tools()
        .iter()
        .filter(|tool| {
            tool.spec.id == "zendesk_get_job_status" || tool.spec.id.contains("organization_field")
        })
        .map(|tool| {
            let mut spec = serde_json::to_value(&tool.spec).unwrap();
            spec["annotations"] = json!({
                "read_only": tool.spec.annotations.read_only,
                "destructive": tool.spec.annotations.destructive,
                "idempotent": tool.spec.annotations.idempotent,
            });
            spec
        })
        .collect();
    assert_eq!(additions.len(), 7);
    insta::assert_json_snapshot!("additions", additions);
}
