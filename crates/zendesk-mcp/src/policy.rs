//! What this host asks of a call before it runs, beyond the tool's own checks: a model must say
//! who sees a comment that Zendesk would otherwise make public (and email), and the operator may
//! have a person approve public replies, deletes, merges and bulk jobs (`--require-approval`),
//! asked through MCP elicitation. The library and `zd tools call` keep Zendesk's defaults; a
//! model is the caller that reaches them by accident, so the rule lives where models call.

use std::collections::BTreeSet;

use serde_json::Value;
use zendesk_tools::{CallContext, Tool, registry};

/// Calls that put a comment in front of a customer (Zendesk emails public comments to the
/// requester): which tool, the param holding the text (`None`: the tool comments whenever it
/// runs, in Zendesk's words if not the caller's), the param saying who sees it (`None`: always
/// public).
struct PublicComment {
    tool: &'static str,
    text: Option<&'static str>,
    visibility: Option<&'static str>,
}

const PUBLIC_COMMENTS: &[PublicComment] = &[
    PublicComment {
        tool: "zendesk_reply_to_ticket",
        text: Some("body"),
        visibility: None,
    },
    PublicComment {
        tool: "zendesk_update_ticket",
        text: Some("comment"),
        visibility: Some("commentPublic"),
    },
    PublicComment {
        tool: "zendesk_merge_tickets",
        text: None,
        visibility: Some("targetCommentPublic"),
    },
    PublicComment {
        tool: "zendesk_merge_tickets",
        text: None,
        visibility: Some("sourceCommentPublic"),
    },
];

/// What an operator may require a person to approve (`--require-approval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Approval {
    /// Comments the requester sees and is emailed.
    PublicReplies,
    /// Deleting records.
    Deletes,
    /// Merging tickets.
    Merges,
    /// Bulk jobs (many records in one call).
    Bulk,
}

impl Approval {
    pub const ALL: [Approval; 4] = [
        Approval::PublicReplies,
        Approval::Deletes,
        Approval::Merges,
        Approval::Bulk,
    ];

    /// The name `--require-approval` takes.
    pub fn name(self) -> &'static str {
        match self {
            Approval::PublicReplies => "public-replies",
            Approval::Deletes => "deletes",
            Approval::Merges => "merges",
            Approval::Bulk => "bulk",
        }
    }

    /// What it covers, for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Approval::PublicReplies => {
                "comments Zendesk emails to the requester (replies, public comments of updates and merges)"
            }
            Approval::Deletes => "deleting tickets, users, organizations and fields",
            Approval::Merges => "merging tickets",
            Approval::Bulk => "bulk jobs: creating or updating many records in one call",
        }
    }

    pub fn from_name(name: &str) -> Option<Approval> {
        Approval::ALL.into_iter().find(|a| a.name() == name.trim())
    }
}

/// This host's rules for model calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPolicy {
    /// What a person approves before it happens (asked through MCP elicitation).
    pub approvals: BTreeSet<Approval>,
}

/// A call the policy stopped: why, in words for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl HostPolicy {
    pub fn requiring(approvals: impl IntoIterator<Item = Approval>) -> Self {
        HostPolicy {
            approvals: approvals.into_iter().collect(),
        }
    }

    /// A call that could email a customer must say who sees its comment: refused otherwise,
    /// naming the param and the tools that make the choice for the model.
    pub fn explicit(&self, tool: &Tool, args: &Value) -> Result<(), Refusal> {
        let id = tool.spec.id;
        let given = |name: &str| args.get(name).is_some_and(|v| !is_blank(v));
        let unsaid: Vec<&PublicComment> = PUBLIC_COMMENTS
            .iter()
            .filter(|rule| rule.tool == id)
            .filter(|rule| rule.text.is_none_or(&given))
            .filter(|rule| rule.visibility.is_some_and(|flag| !given(flag)))
            .collect();
        let Some(first) = unsaid.first() else {
            return Ok(());
        };
        let flags: Vec<&str> = unsaid.iter().filter_map(|rule| rule.visibility).collect();
        let message = match first.text {
            Some(text) => format!(
                "{id}: say who sees {text}: add {flag} (\"true\" makes it a public reply that Zendesk \
                 emails to the requester, \"false\" an internal note only agents see). Or use \
                 zendesk_reply_to_ticket (public, emailed) or zendesk_add_internal_note (internal). \
                 Nothing was changed",
                flag = flags.join(", ")
            ),
            None => format!(
                "{id}: a merge comments on the target and on each source ticket (Zendesk's note \
                 when you write none), and Zendesk emails public comments to the requesters: say \
                 who sees them with {} (\"true\" emails them, \"false\" keeps internal notes). \
                 Nothing was changed",
                flags.join(" and ")
            ),
        };
        Err(Refusal(message))
    }

    /// What of `approvals` this call does, with the words a person reads to approve it.
    pub fn needs_approval(&self, tool: &Tool, args: &Value) -> Vec<Approval> {
        kinds(tool, args)
            .into_iter()
            .filter(|kind| self.approvals.contains(kind))
            .collect()
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

/// `"true"`, `true` or missing-and-public-by-default: whether a visibility param lets the
/// comment be public.
fn public(args: &Value, visibility: Option<&str>) -> bool {
    let Some(flag) = visibility else { return true };
    match args.get(flag) {
        Some(Value::Bool(public)) => *public,
        Some(Value::String(text)) => !text.trim().eq_ignore_ascii_case("false"),
        _ => true,
    }
}

/// The kinds of change a call makes that an operator may gate.
fn kinds(tool: &Tool, args: &Value) -> Vec<Approval> {
    let spec = &tool.spec;
    let mut kinds = Vec::new();
    let posts_public = PUBLIC_COMMENTS.iter().any(|rule| {
        rule.tool == spec.id
            && rule
                .text
                .is_none_or(|text| args.get(text).is_some_and(|v| !is_blank(v)))
            && public(args, rule.visibility)
    });
    if posts_public {
        kinds.push(Approval::PublicReplies);
    }
    let hints = spec.annotations;
    // Deletes take a record away (a second call finds nothing more to do); a merge closes its
    // sources into the target, and is not idempotent.
    if hints.destructive && hints.idempotent {
        kinds.push(Approval::Deletes);
    }
    if hints.destructive && !hints.idempotent {
        kinds.push(Approval::Merges);
    } else if starts_a_job(tool) {
        kinds.push(Approval::Bulk);
    }
    kinds
}

/// Whether a tool answers with a job status it started (a bulk tool, a merge).
pub(crate) fn starts_a_job(tool: &Tool) -> bool {
    tool.spec.id != crate::selection::JOB_FOLLOWER
        && tool
            .spec
            .outputs
            .first()
            .is_some_and(|output| output.name == "job_status")
}

/// What a person reads before approving: each kind of change in a line or two, with whom a
/// reply reaches and which records go, looked up (best effort) through the read tools.
pub(crate) async fn summary(
    tool: &Tool,
    args: &Value,
    kinds: &[Approval],
    context: &CallContext,
) -> String {
    let id = tool.spec.id;
    let mut lines = vec![format!("A model asks to run {id}:")];
    let text = |name: &str| args.get(name).map(as_text).filter(|t| !t.is_empty());
    for kind in kinds {
        match kind {
            Approval::PublicReplies => {
                let ticket = text("ticketId").or_else(|| text("targetTicketId"));
                let to = match &ticket {
                    Some(ticket) => recipient(ticket, context).await,
                    None => "the requesters".to_owned(),
                };
                let body = text("body")
                    .or_else(|| text("comment"))
                    .or_else(|| text("targetComment"))
                    .or_else(|| text("sourceComment"))
                    .unwrap_or_else(|| "(Zendesk's own merge note)".to_owned());
                lines.push(format!(
                    "- a PUBLIC comment{}, emailed to {to} (and the ticket's CCs):\n{}",
                    ticket
                        .map(|t| format!(" on ticket #{t}"))
                        .unwrap_or_default(),
                    quoted(&body)
                ));
            }
            Approval::Deletes => {
                let what = match (text("ticketId"), text("userId"), text("organizationId")) {
                    (Some(ticket), _, _) => {
                        format!("ticket #{ticket}{}", subject(&ticket, context).await)
                    }
                    (_, Some(user), _) => format!("user #{user}"),
                    (_, _, Some(org)) => format!("organization #{org}"),
                    _ => text("fieldIdOrKey")
                        .map(|field| format!("organization field {field}"))
                        .unwrap_or_else(|| "a record".to_owned()),
                };
                lines.push(format!("- DELETE {what}"));
            }
            Approval::Merges => {
                let sources = text("sourceTicketIds").unwrap_or_default();
                let target = text("targetTicketId").unwrap_or_default();
                lines.push(format!(
                    "- MERGE tickets {sources} into #{target}{} (the sources are closed)",
                    subject(&target, context).await
                ));
            }
            Approval::Bulk => {
                let mut shown = args.to_string();
                if shown.chars().count() > 600 {
                    shown = shown.chars().take(600).collect::<String>() + "...";
                }
                lines.push(format!("- a BULK job: {shown}"));
            }
        }
    }
    lines.push("Approve it?".to_owned());
    lines.join("\n")
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(1500).collect();
    let more = if cut.len() < text.len() {
        "\n> ..."
    } else {
        ""
    };
    cut.lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
        + more
}

/// Runs a read tool for a summary; `None` when it fails (the summary then says less).
async fn read(tool: &str, args: Value, context: &CallContext) -> Option<Value> {
    let tool = registry().get(tool)?;
    let run = tool.call(args, context);
    match tokio::time::timeout(std::time::Duration::from_secs(5), run).await {
        Ok(result) if result.success => Some(result.output),
        _ => None,
    }
}

/// ` ("Printer on fire")`, or nothing when the ticket cannot be read.
async fn subject(ticket: &str, context: &CallContext) -> String {
    let args = serde_json::json!({"ticketId": ticket, "fields": "subject"});
    read("zendesk_get_ticket", args, context)
        .await
        .and_then(|out| {
            out["ticket"]["subject"]
                .as_str()
                .map(|s| format!(" ({s:?})"))
        })
        .unwrap_or_default()
}

/// `Jane Doe <jane@acme.com>, the requester of ticket #5`, or `the requester of ticket #5`.
async fn recipient(ticket: &str, context: &CallContext) -> String {
    let plain = format!("the requester of ticket #{ticket}");
    let args = serde_json::json!({"ticketId": ticket, "fields": "requester_id"});
    let Some(requester) = read("zendesk_get_ticket", args, context)
        .await
        .and_then(|out| out["ticket"]["requester_id"].as_u64())
    else {
        return plain;
    };
    let args = serde_json::json!({"userId": requester.to_string(), "fields": "name,email"});
    match read("zendesk_get_user", args, context).await {
        Some(out) => format!(
            "{} <{}>, {plain}",
            out["user"]["name"].as_str().unwrap_or("?"),
            out["user"]["email"].as_str().unwrap_or("?")
        ),
        None => plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(id: &str) -> &'static Tool {
        registry()
            .get(id)
            .unwrap_or_else(|| panic!("{id} is registered"))
    }

    #[test]
    fn the_rules_name_tools_and_params_that_exist() {
        for rule in PUBLIC_COMMENTS {
            let spec = &tool(rule.tool).spec;
            for param in rule.text.iter().chain(&rule.visibility) {
                assert!(spec.param(param).is_some(), "{}.{param}", rule.tool);
            }
        }
    }

    #[test]
    fn a_comment_must_say_who_sees_it_and_a_merge_both_sides() {
        let policy = HostPolicy::default();
        let update = tool("zendesk_update_ticket");
        let refusal = policy
            .explicit(
                update,
                &json!({"ticketId": "1", "comment": "Vendor ETA Friday"}),
            )
            .unwrap_err()
            .0;
        for named in [
            "commentPublic",
            "zendesk_reply_to_ticket",
            "zendesk_add_internal_note",
        ] {
            assert!(refusal.contains(named), "{refusal}");
        }
        assert!(refusal.ends_with("Nothing was changed"), "{refusal}");
        for ok in [
            json!({"ticketId": "1", "comment": "x", "commentPublic": "false"}),
            json!({"ticketId": "1", "comment": "x", "commentPublic": true}),
            json!({"ticketId": "1", "status": "open"}),
        ] {
            assert!(policy.explicit(update, &ok).is_ok(), "{ok}");
        }
        let merge = tool("zendesk_merge_tickets");
        let refusal = policy
            .explicit(merge, &json!({"targetTicketId": "1", "sourceTicketIds": "2", "targetCommentPublic": "false"}))
            .unwrap_err()
            .0;
        assert!(refusal.contains("sourceCommentPublic"), "{refusal}");
        assert!(!refusal.contains("targetCommentPublic"), "{refusal}");
        let both = json!({"targetTicketId": "1", "sourceTicketIds": "2",
                          "targetCommentPublic": "false", "sourceCommentPublic": "false"});
        assert!(policy.explicit(merge, &both).is_ok());
        // Other tools are not this rule's business.
        let reply = tool("zendesk_reply_to_ticket");
        assert!(
            policy
                .explicit(reply, &json!({"ticketId": "1", "body": "Hi"}))
                .is_ok()
        );
    }

    #[test]
    fn each_gated_kind_is_found_in_the_calls_that_do_it() {
        let kinds_of = |id: &str, args: Value| kinds(tool(id), &args);
        assert_eq!(
            kinds_of(
                "zendesk_reply_to_ticket",
                json!({"ticketId": "1", "body": "Hi"})
            ),
            [Approval::PublicReplies]
        );
        assert!(
            kinds_of(
                "zendesk_add_internal_note",
                json!({"ticketId": "1", "body": "x"})
            )
            .is_empty()
        );
        assert!(
            kinds_of(
                "zendesk_update_ticket",
                json!({"ticketId": "1", "comment": "x", "commentPublic": "false"})
            )
            .is_empty()
        );
        assert_eq!(
            kinds_of(
                "zendesk_update_ticket",
                json!({"ticketId": "1", "comment": "x", "commentPublic": "true"})
            ),
            [Approval::PublicReplies]
        );
        for id in [
            "zendesk_delete_ticket",
            "zendesk_delete_user",
            "zendesk_delete_organization",
            "zendesk_delete_organization_field",
        ] {
            assert_eq!(kinds_of(id, json!({})), [Approval::Deletes], "{id}");
        }
        assert_eq!(
            kinds_of(
                "zendesk_merge_tickets",
                json!({"targetCommentPublic": "false", "sourceCommentPublic": "false"})
            ),
            [Approval::Merges]
        );
        assert_eq!(
            kinds_of(
                "zendesk_merge_tickets",
                json!({"sourceCommentPublic": "true"})
            ),
            [Approval::PublicReplies, Approval::Merges]
        );
        for id in [
            "zendesk_create_tickets_bulk",
            "zendesk_update_tickets_bulk",
            "zendesk_create_users_bulk",
            "zendesk_update_users_bulk",
            "zendesk_create_organizations_bulk",
        ] {
            assert_eq!(kinds_of(id, json!({})), [Approval::Bulk], "{id}");
        }
        // Every other tool asks nobody.
        for tool in registry().tools() {
            let id = tool.spec.id;
            if id.contains("delete") || id.contains("bulk") || id.contains("merge") {
                continue;
            }
            if ["zendesk_reply_to_ticket", "zendesk_update_ticket"].contains(&id) {
                continue;
            }
            assert!(kinds(tool, &json!({})).is_empty(), "{id}");
        }
    }
}
