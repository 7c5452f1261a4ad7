//! What an error says to do next: which tool finds the ID a param needs (`groupId` ->
//! `zendesk_get_groups`), and which key was meant when a caller wrote one Zendesk does not take
//! (`requesterId` -> `requester_id`, `subjct` -> `subject`). Pure.

/// The tool that finds a valid value for an ID param, as a sentence to append to an error.
pub(crate) fn finder(param: &str) -> Option<&'static str> {
    Some(match param {
        "ticketId" | "ticketIds" | "targetTicketId" | "sourceTicketIds" => {
            "find a ticket's id with zendesk_search (filterType \"ticket\") or zendesk_get_tickets"
        }
        "assigneeId" => {
            "find an agent's id with zendesk_get_group_memberships or zendesk_get_users (role \"agent\")"
        }
        "userId" | "requesterId" => "find a user's id with zendesk_search_users",
        "organizationId" => {
            "find an organization's id with zendesk_autocomplete_organizations or zendesk_get_organizations"
        }
        "groupId" => "find a group's id with zendesk_get_groups",
        "fieldIdOrKey" | "fieldIds" => {
            "find an organization field's id or key with zendesk_get_organization_fields"
        }
        "jobId" => "use the job_id a bulk or merge tool returned",
        "macroId" => "find a macro's id with zendesk_get_macros",
        "viewId" => "find a view's id with zendesk_get_views",
        "articleId" => "find an article's id with zendesk_search_articles",
        "attachmentId" => {
            "find an attachment's id in a comment's attachments (zendesk_get_ticket_comments)"
        }
        _ => return None,
    })
}

/// What to do when Zendesk refuses a change for a reason with a way around it, from Zendesk's
/// own words: a closed ticket cannot change, but a follow-up ticket can carry the conversation.
pub(crate) fn way_around(zendesk_message: &str) -> Option<&'static str> {
    if zendesk_message.contains("closed prevents ticket update") {
        return Some(
            "a closed ticket cannot change: open a follow-up with zendesk_create_ticket and viaFollowupSourceId set to the closed ticket's id",
        );
    }
    None
}

/// What to write instead of a key Zendesk names differently on a record, beyond spelling: a
/// ticket's first message is its `comment`, not a `description` (Zendesk fills that in).
pub(crate) fn instead_of(record: &str, key: &str) -> Option<&'static str> {
    match (record, key.to_ascii_lowercase().as_str()) {
        ("ticket", "description" | "body") => Some(
            "use \"comment\": {\"body\": \"...\"} (a ticket's description is its first comment)",
        ),
        ("ticket", "requester_email" | "requesteremail") => {
            Some("use \"requester\": {\"email\": \"...\", \"name\": \"...\"}")
        }
        _ => None,
    }
}

/// `requesterId` -> `requester_id`.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (index, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// Edit distance (insertions, deletions, substitutions), for "did you mean".
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

/// The key among `valid` a caller most likely meant: the snake_case spelling of a camelCase key,
/// then the nearest key within two edits (a third for long keys).
pub(crate) fn meant<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    let snake = snake_case(key);
    if let Some(found) = valid.iter().find(|v| **v == snake) {
        return Some(found);
    }
    let lower = key.to_ascii_lowercase();
    let budget = if lower.len() > 8 { 3 } else { 2 };
    valid
        .iter()
        .map(|v| (distance(&lower, v).min(distance(&snake, v)), *v))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys_map_to_zendesks_snake_case() {
        let valid = ["requester_id", "subject", "comment", "custom_fields"];
        assert_eq!(meant("requesterId", &valid), Some("requester_id"));
        assert_eq!(meant("customFields", &valid), Some("custom_fields"));
        assert_eq!(meant("subjct", &valid), Some("subject"));
        assert_eq!(meant("priority_level", &valid), None);
    }

    #[test]
    fn a_closed_ticket_points_at_a_follow_up() {
        let hint =
            way_around("PUT /tickets/7: 422 (status: Status: closed prevents ticket update)");
        assert!(hint.unwrap().contains("viaFollowupSourceId"));
        assert_eq!(way_around("Subject: is too long"), None);
    }

    #[test]
    fn id_params_name_the_tool_that_finds_them() {
        assert!(finder("groupId").unwrap().contains("zendesk_get_groups"));
        assert!(finder("ticketId").unwrap().contains("zendesk_search"));
        assert_eq!(finder("subject"), None);
    }
}
