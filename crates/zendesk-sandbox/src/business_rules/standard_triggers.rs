//! The standard triggers a new Zendesk account starts with, as data: they are why a public
//! reply mails the requester and an internal note mails no customer. Titles, conditions and
//! bodies follow Zendesk's defaults; the caller stores them (in the category
//! [`CATEGORY_NAME`]) with `default: true` when it creates the account.

use serde_json::{Value, json};

/// The trigger category Zendesk files its standard notification triggers under.
pub const CATEGORY_NAME: &str = "Notifications";

/// The standard triggers, in position order, as create bodies (`{"title", "conditions",
/// "actions", ...}`), plus `"default": true`.
pub fn standard_triggers() -> Vec<Value> {
    let updated = "[{{ticket.account}}] Re: {{ticket.title}}";
    let assignment = "[{{ticket.account}}] Assignment: {{ticket.title}}";
    let triggers = [
        json!({
            "title": "Notify requester and CCs of received request",
            "description": "Emails the requester (and CCs) that their request was received.",
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "status", "operator": "is_not", "value": "solved"}
            ], "any": []},
            "actions": [{"field": "notification_user", "value": [
                "requester_and_ccs",
                "[{{ticket.account}}] Re: {{ticket.title}}",
                "Your request ({{ticket.id}}) has been received and is being reviewed by our support staff.\n\nTo add additional comments, reply to this email.\n\n{{ticket.comments_formatted}}"
            ]}]
        }),
        json!({
            "title": "Notify requester and CCs of comment update",
            "description": "Emails the requester (and CCs) a public comment an agent added.",
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "comment_is_public", "operator": "is", "value": "requester_can_see_comment"},
                {"field": "role", "operator": "is", "value": "agent"}
            ], "any": []},
            "actions": [{"field": "notification_user", "value": [
                "requester_and_ccs",
                updated,
                "Your request ({{ticket.id}}) has been updated. To add additional comments, reply to this email.\n\n{{ticket.comments_formatted}}"
            ]}]
        }),
        json!({
            "title": "Notify assignee of comment update",
            "description": "Emails the assignee a comment someone else added (public or internal).",
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "comment_is_public", "operator": "is", "value": "not_relevant"},
                {"field": "assignee_id", "operator": "is_not", "value": "current_user"},
                {"field": "assignee_id", "operator": "is_not", "value": ""}
            ], "any": []},
            "actions": [{"field": "notification_user", "value": [
                "assignee_id",
                updated,
                "This ticket (#{{ticket.id}}) has been updated.\n\n{{ticket.comments_formatted}}"
            ]}]
        }),
        json!({
            "title": "Notify assignee of assignment",
            "description": "Emails an agent that someone else assigned them a ticket.",
            "conditions": {"all": [
                {"field": "assignee_id", "operator": "changed", "value": null},
                {"field": "assignee_id", "operator": "is_not", "value": "current_user"}
            ], "any": []},
            "actions": [{"field": "notification_user", "value": [
                "assignee_id",
                assignment,
                "You have been assigned to this ticket (#{{ticket.id}}).\n\n{{ticket.comments_formatted}}"
            ]}]
        }),
        json!({
            "title": "Notify group of assignment",
            "description": "Emails a group that an unassigned ticket was assigned to it.",
            "conditions": {"all": [
                {"field": "group_id", "operator": "changed", "value": null},
                {"field": "assignee_id", "operator": "is", "value": ""}
            ], "any": []},
            "actions": [{"field": "notification_group", "value": [
                "group_id",
                assignment,
                "A ticket (#{{ticket.id}}) by {{ticket.requester.name}} has been assigned to group {{ticket.group.name}}, of which you are a member.\n\n{{ticket.comments_formatted}}"
            ]}]
        }),
    ];
    triggers
        .into_iter()
        .enumerate()
        .map(|(i, mut trigger)| {
            trigger["active"] = json!(true);
            trigger["position"] = json!(i as i64 + 1);
            trigger["default"] = json!(true);
            trigger
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::effects::{Directory, Rendered, render_effects};
    use crate::business_rules::fixtures::{agent, directory, end_user, ticket};
    use crate::business_rules::rule::Rule;
    use crate::business_rules::ticket_update::{AddedComment, Person, TicketUpdate};
    use crate::business_rules::triggers::run;
    use crate::business_rules::vocabulary::{RuleKind, Vocabulary};

    /// The standard triggers as stored (ids 1..=5), loaded to run.
    fn stored() -> Vec<Rule> {
        standard_triggers()
            .into_iter()
            .enumerate()
            .map(|(i, mut record)| {
                record["id"] = json!(i as i64 + 1);
                Rule::load(RuleKind::Trigger, &record, &Vocabulary::default()).unwrap()
            })
            .collect()
    }

    fn fire(
        before: Option<&Value>,
        after: Value,
        me: &Person,
        comment: Option<&AddedComment>,
    ) -> (Vec<String>, Rendered) {
        let update = TicketUpdate {
            before,
            current_user: Some(me),
            comment,
            via: "api",
        };
        let run = run(&stored(), &update, after, 0);
        let mut d: Directory = directory();
        if let Some(comment) = comment {
            d.comments.insert(
                0,
                crate::business_rules::effects::MailComment {
                    author_id: comment.author_id,
                    body: comment.body.clone(),
                    public: comment.public,
                    created_at: 3_000,
                },
            );
        }
        let rendered = render_effects(&run.effects, &run.ticket, Some(me), &d);
        let to = rendered.emails().map(|e| e.to.clone()).collect();
        (to, rendered)
    }

    fn assigned_ticket() -> Value {
        let mut t = ticket();
        t["status"] = json!("open");
        t["assignee_id"] = json!(7);
        t
    }

    #[test]
    fn every_standard_trigger_is_valid_and_in_order() {
        let rules = stored();
        assert_eq!(rules.len(), 5);
        assert!(
            rules
                .iter()
                .all(|r| r.definition.default && r.definition.active)
        );
        assert_eq!(
            rules[0].definition.title,
            "Notify requester and CCs of received request"
        );
        // They also pass a save's checks.
        for trigger in standard_triggers() {
            let mut input = trigger.as_object().cloned().unwrap();
            input.remove("default");
            crate::business_rules::rule::RuleDefinition::parse_new(
                RuleKind::Trigger,
                &input,
                &Vocabulary::default(),
            )
            .unwrap();
        }
    }

    #[test]
    fn a_public_reply_mails_the_requester_and_ccs() {
        let before = assigned_ticket();
        let reply = AddedComment {
            id: Some(9),
            author_id: 7,
            body: "We replaced the printer.".into(),
            public: true,
        };
        let (to, rendered) = fire(Some(&before), before.clone(), &agent(7), Some(&reply));
        assert_eq!(to, ["customer5@example.com", "customer6@example.com"]);
        let email = rendered.emails().next().unwrap();
        assert_eq!(email.subject, "[Sandbox] Re: Printer on fire");
        assert!(
            email
                .body
                .starts_with("Your request (42) has been updated.")
        );
        assert!(email.body.contains("We replaced the printer."));
        // The customer's copy leaves the older internal note out.
        assert!(!email.body.contains("toner"), "{}", email.body);
    }

    #[test]
    fn an_internal_note_by_the_assignee_mails_no_one() {
        let before = assigned_ticket();
        let note = AddedComment {
            id: Some(9),
            author_id: 7,
            body: "Internal: waiting on the vendor.".into(),
            public: false,
        };
        let (to, _) = fire(Some(&before), before.clone(), &agent(7), Some(&note));
        assert!(to.is_empty(), "{to:?}");
    }

    #[test]
    fn a_note_by_another_agent_mails_the_assignee_only() {
        let before = assigned_ticket();
        let note = AddedComment {
            id: Some(9),
            author_id: 8,
            body: "Internal: I called them.".into(),
            public: false,
        };
        let (to, rendered) = fire(Some(&before), before.clone(), &agent(8), Some(&note));
        assert_eq!(to, ["agent7@example.com"]);
        assert!(
            rendered
                .emails()
                .next()
                .unwrap()
                .body
                .contains("I called them.")
        );
    }

    #[test]
    fn a_customers_own_reply_does_not_mail_them_back() {
        let before = assigned_ticket();
        let reply = AddedComment {
            id: Some(9),
            author_id: 5,
            body: "Any news?".into(),
            public: true,
        };
        let (to, _) = fire(Some(&before), before.clone(), &end_user(5), Some(&reply));
        // The assignee hears of it; the customer is not mailed their own words.
        assert_eq!(to, ["agent7@example.com"]);
    }

    #[test]
    fn a_new_request_is_acknowledged_and_assignments_are_announced() {
        let (to, rendered) = fire(None, ticket(), &end_user(5), None);
        // Received: requester and CC. Group 20 assigned with nobody assigned: its members.
        assert_eq!(
            to,
            [
                "customer5@example.com",
                "customer6@example.com",
                "agent7@example.com",
                "agent8@example.com"
            ]
        );
        assert!(
            rendered.notifications[1].emails[0]
                .body
                .starts_with("A ticket (#42) by Customer 5 has been assigned to group Support")
        );

        // An agent assigning a ticket to a colleague mails the colleague.
        let before = assigned_ticket();
        let mut after = before.clone();
        after["assignee_id"] = json!(8);
        let (to, rendered) = fire(Some(&before), after, &agent(7), None);
        assert_eq!(to, ["agent8@example.com"]);
        assert_eq!(
            rendered.emails().next().unwrap().subject,
            "[Sandbox] Assignment: Printer on fire"
        );
        // Taking a ticket yourself mails no one.
        let mut taken = before.clone();
        taken["assignee_id"] = json!(8);
        let (to, _) = fire(Some(&before), taken, &agent(8), None);
        assert!(to.is_empty(), "{to:?}");
    }
}
