//! The registry: every tool of the catalog paired with its plan (from the tool modules'
//! `PLANS`), in the catalog's order. A tool declared without a plan, or a plan without a
//! declaration, stops the registry from being built (every test that touches it fails).

use std::sync::OnceLock;

use serde_json::Value;

use crate::catalog::catalog;
use crate::spec::Toolset;
use crate::tool::Tool;

pub struct Registry {
    tools: Vec<Tool>,
}

impl Registry {
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    pub fn get(&self, id: &str) -> Option<&Tool> {
        self.tools.iter().find(|tool| tool.spec.id == id)
    }

    /// The named sets of tools by Zendesk area (`--toolsets`), in the catalog's order.
    pub fn toolsets(&self) -> &'static [Toolset] {
        &catalog().toolsets
    }

    /// The whole registry in the shape of `spec/tools.json`: `{"tools": [{id, description,
    /// params, outputs}, ...]}`.
    pub fn to_json(&self) -> Value {
        let tools: Vec<Value> = self
            .tools
            .iter()
            .map(|tool| serde_json::to_value(&tool.spec).unwrap_or(Value::Null))
            .collect();
        serde_json::json!({ "tools": tools })
    }
}

pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let plans = crate::tools::plans();
        let tools = catalog()
            .tools
            .iter()
            .map(|spec| match plans.iter().find(|(id, _)| *id == spec.id) {
                Some((_, plan)) => Tool::new(spec.clone(), *plan),
                None => panic!("tools.json declares {} but no module plans it", spec.id),
            })
            .collect::<Vec<_>>();
        if let Some((id, _)) = plans
            .iter()
            .find(|(id, _)| !tools.iter().any(|tool| tool.spec.id == *id))
        {
            panic!("{id} has a plan but tools.json does not declare it");
        }
        Registry { tools }
    })
}
