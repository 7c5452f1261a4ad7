//! What a trigger or automation may say, written down once: the condition fields with their
//! operators, values and what each reads from the ticket or the write; the action fields; the
//! operators; the channels (`via_id`). Parsing (`conditions`, `actions`), evaluation and
//! `definitions` all read these tables, so a field added here is validated, evaluated and listed
//! at once. Custom fields (`custom_fields_<id>`) take their operators from the field's type.
//!
//! [`Vocabulary`] is what the account holds that rules may name (custom fields, groups, agents,
//! webhooks), passed in by the caller.

use serde_json::{Value, json};

use super::ticket_update::Since;

/// Which kind of business rule is being read or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Trigger,
    Automation,
}

impl RuleKind {
    /// `trigger` or `automation`: the `rel` of a rule's audit `via`, and the word in messages.
    pub fn noun(self) -> &'static str {
        match self {
            RuleKind::Trigger => "trigger",
            RuleKind::Automation => "automation",
        }
    }

    /// `triggers` or `automations`.
    pub fn plural(self) -> &'static str {
        match self {
            RuleKind::Trigger => "triggers",
            RuleKind::Automation => "automations",
        }
    }
}

/// Which rule did something, as the audit's `via` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub kind: RuleKind,
    pub id: i64,
    pub title: String,
}

impl RuleRef {
    /// `{"channel": "rule", "source": {"to": {}, "from": {"id", "title"}, "rel": "trigger"}}`.
    pub fn via(&self) -> Value {
        json!({"channel": "rule", "source": {
            "to": {}, "from": {"id": self.id, "title": self.title}, "rel": self.kind.noun()
        }})
    }
}

/// A condition's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Is,
    IsNot,
    LessThan,
    GreaterThan,
    Includes,
    NotIncludes,
    Changed,
    NotChanged,
    /// Changed to the value.
    Value,
    /// Changed from the value.
    ValuePrevious,
    /// Not changed to the value.
    NotValue,
    /// Not changed from the value.
    NotValuePrevious,
    Present,
    NotPresent,
}

/// Every operator: (operator, wire name, title, terminal: takes no value).
const OPERATORS: &[(Operator, &str, &str, bool)] = &[
    (Operator::Is, "is", "Is", false),
    (Operator::IsNot, "is_not", "Is not", false),
    (Operator::LessThan, "less_than", "Less than", false),
    (Operator::GreaterThan, "greater_than", "Greater than", false),
    (
        Operator::Includes,
        "includes",
        "Contains at least one of the following",
        false,
    ),
    (
        Operator::NotIncludes,
        "not_includes",
        "Contains none of the following",
        false,
    ),
    (Operator::Changed, "changed", "Changed", true),
    (Operator::NotChanged, "not_changed", "Not changed", true),
    (Operator::Value, "value", "Changed to", false),
    (
        Operator::ValuePrevious,
        "value_previous",
        "Changed from",
        false,
    ),
    (Operator::NotValue, "not_value", "Not changed to", false),
    (
        Operator::NotValuePrevious,
        "not_value_previous",
        "Not changed from",
        false,
    ),
    (Operator::Present, "present", "Present", true),
    (Operator::NotPresent, "not_present", "Not present", true),
];

impl Operator {
    fn entry(self) -> &'static (Operator, &'static str, &'static str, bool) {
        OPERATORS
            .iter()
            .find(|(op, ..)| *op == self)
            .expect("every operator is in OPERATORS")
    }

    /// The wire name (`is_not`).
    pub fn as_str(self) -> &'static str {
        self.entry().1
    }

    /// The title `definitions` shows (`Is not`).
    pub fn title(self) -> &'static str {
        self.entry().2
    }

    /// True for the operators that take no value (`changed`, `present`...).
    pub fn terminal(self) -> bool {
        self.entry().3
    }

    /// The operator a wire name names.
    pub fn from_wire(name: &str) -> Option<Operator> {
        OPERATORS
            .iter()
            .find(|(_, wire, ..)| *wire == name)
            .map(|(op, ..)| *op)
    }

    /// True for the operators that compare the ticket before and after a write: triggers only.
    pub fn compares_change(self) -> bool {
        matches!(
            self,
            Operator::Changed
                | Operator::NotChanged
                | Operator::Value
                | Operator::ValuePrevious
                | Operator::NotValue
                | Operator::NotValuePrevious
        )
    }
}

use Operator::*;

const EQUALITY: &[Operator] = &[Is, IsNot];
const CHANGES: &[Operator] = &[
    Changed,
    Value,
    ValuePrevious,
    NotChanged,
    NotValue,
    NotValuePrevious,
];
const ORDERED_CHANGES: &[Operator] = &[
    Is,
    IsNot,
    LessThan,
    GreaterThan,
    Changed,
    Value,
    ValuePrevious,
    NotChanged,
    NotValue,
    NotValuePrevious,
];
const EQUALITY_CHANGES: &[Operator] = &[
    Is,
    IsNot,
    Changed,
    Value,
    ValuePrevious,
    NotChanged,
    NotValue,
    NotValuePrevious,
];
const WORDS: &[Operator] = &[Includes, NotIncludes, Is, IsNot];
const TAGS: &[Operator] = &[Includes, NotIncludes];
const HOURS: &[Operator] = &[Is, LessThan, GreaterThan];

/// `(value, title)` pairs of a closed value list.
pub type Choices = &'static [(&'static str, &'static str)];

/// Every status a condition may name, in Zendesk's order (the order `less_than` compares by).
pub const STATUS_CHOICES: Choices = &[
    ("new", "New"),
    ("open", "Open"),
    ("pending", "Pending"),
    ("hold", "On-hold"),
    ("solved", "Solved"),
    ("closed", "Closed"),
];
/// Priorities in Zendesk's order; `""` is "no priority".
pub const PRIORITY_CHOICES: Choices = &[
    ("", "-"),
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
];
/// Ticket types; `""` is "no type".
pub const TYPE_CHOICES: Choices = &[
    ("", "-"),
    ("question", "Question"),
    ("incident", "Incident"),
    ("problem", "Problem"),
    ("task", "Task"),
];

/// A channel a ticket or a write can come through: `via_id` conditions name the number, tickets
/// hold the channel, and webhook event payloads the via type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via {
    pub id: i64,
    /// The number as conditions write it (`"5"`).
    pub id_text: &'static str,
    /// `via.channel` on a ticket the sandbox writes.
    pub channel: &'static str,
    /// Zendesk's via type (`web_service`), as event payloads name the channel.
    pub via_type: &'static str,
    pub title: &'static str,
}

/// The channels the sandbox's tickets and writes come through (Zendesk's via types reference).
pub const VIAS: &[Via] = &[
    Via {
        id: 0,
        id_text: "0",
        channel: "web",
        via_type: "web_form",
        title: "Web form",
    },
    Via {
        id: 4,
        id_text: "4",
        channel: "email",
        via_type: "mail",
        title: "Email",
    },
    Via {
        id: 5,
        id_text: "5",
        channel: "api",
        via_type: "web_service",
        title: "Web service (API)",
    },
    Via {
        id: 8,
        id_text: "8",
        channel: "rule",
        via_type: "rule",
        title: "Trigger or automation",
    },
];

/// The channel a ticket's or write's `via.channel` names.
pub fn via_of_channel(channel: &str) -> Option<&'static Via> {
    VIAS.iter().find(|via| via.channel == channel)
}

/// What a condition field's value is, and so how it is checked and listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// One of these.
    Choice(Choices),
    /// A user id, or one of these words.
    User(Choices),
    /// A group id, or one of these words.
    Group(Choices),
    /// An organization id, or one of these words.
    Organization(Choices),
    /// Tags, separated by spaces.
    Tags,
    /// Words or a phrase.
    Words,
    /// A whole number of hours.
    Hours,
    /// A channel number from [`VIAS`].
    Via,
}

/// What a condition field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// A field of the ticket record (`status`, `assignee_id`).
    Ticket(&'static str),
    /// The ticket's tags.
    Tags,
    /// The channel the ticket came through.
    TicketVia,
    /// The channel of this write.
    UpdateVia,
    /// Whether the write created or changed the ticket.
    UpdateType,
    /// Whether the write added a comment, and its visibility.
    CommentVisibility,
    /// The words of the comment the write added.
    CommentWords,
    /// The words of the subject.
    SubjectWords,
    /// The role of the user who wrote.
    Role,
    /// Hours since a moment of the ticket.
    Hours(Since),
}

/// Which kinds of rule may use a condition field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    Both,
    TriggersOnly,
    AutomationsOnly,
}

impl Applies {
    pub fn to(self, kind: RuleKind) -> bool {
        matches!(
            (self, kind),
            (Applies::Both, _)
                | (Applies::TriggersOnly, RuleKind::Trigger)
                | (Applies::AutomationsOnly, RuleKind::Automation)
        )
    }
}

/// One condition field: its name, title, who may use it, its operators (those comparing a
/// change apply to triggers only), its values, and what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionField {
    pub field: &'static str,
    pub title: &'static str,
    pub applies: Applies,
    pub operators: &'static [Operator],
    pub values: Values,
    pub reads: Reads,
}

impl ConditionField {
    /// The operators this field takes in a rule of `kind`.
    pub fn operators_for(&self, kind: RuleKind) -> Vec<Operator> {
        operators_for(self.operators, kind)
    }
}

/// `operators` less those comparing a change when `kind` is an automation.
pub fn operators_for(operators: &[Operator], kind: RuleKind) -> Vec<Operator> {
    operators
        .iter()
        .copied()
        .filter(|op| kind == RuleKind::Trigger || !op.compares_change())
        .collect()
}

const NONE: Choices = &[("", "-")];
const ASSIGNEE_WORDS: Choices = &[
    ("", "-"),
    ("current_user", "(current user)"),
    ("requester_id", "(requester)"),
];
const REQUESTER_WORDS: Choices = &[
    ("current_user", "(current user)"),
    ("assignee_id", "(assignee)"),
];

const fn hours(field: &'static str, title: &'static str, since: Since) -> ConditionField {
    ConditionField {
        field,
        title,
        applies: Applies::AutomationsOnly,
        operators: HOURS,
        values: Values::Hours,
        reads: Reads::Hours(since),
    }
}

/// The condition fields the sandbox evaluates (`custom_fields_<id>` besides), in the order
/// `definitions` lists them.
pub const CONDITION_FIELDS: &[ConditionField] = &[
    ConditionField {
        field: "update_type",
        title: "Ticket",
        applies: Applies::TriggersOnly,
        operators: &[Is],
        values: Values::Choice(&[("Create", "Created"), ("Change", "Updated")]),
        reads: Reads::UpdateType,
    },
    ConditionField {
        field: "status",
        title: "Status",
        applies: Applies::Both,
        operators: ORDERED_CHANGES,
        values: Values::Choice(STATUS_CHOICES),
        reads: Reads::Ticket("status"),
    },
    ConditionField {
        field: "priority",
        title: "Priority",
        applies: Applies::Both,
        operators: ORDERED_CHANGES,
        values: Values::Choice(PRIORITY_CHOICES),
        reads: Reads::Ticket("priority"),
    },
    ConditionField {
        field: "type",
        title: "Type",
        applies: Applies::Both,
        operators: EQUALITY_CHANGES,
        values: Values::Choice(TYPE_CHOICES),
        reads: Reads::Ticket("type"),
    },
    ConditionField {
        field: "group_id",
        title: "Group",
        applies: Applies::Both,
        operators: EQUALITY_CHANGES,
        values: Values::Group(NONE),
        reads: Reads::Ticket("group_id"),
    },
    ConditionField {
        field: "assignee_id",
        title: "Assignee",
        applies: Applies::Both,
        operators: EQUALITY_CHANGES,
        values: Values::User(ASSIGNEE_WORDS),
        reads: Reads::Ticket("assignee_id"),
    },
    ConditionField {
        field: "requester_id",
        title: "Requester",
        applies: Applies::Both,
        operators: EQUALITY_CHANGES,
        values: Values::User(REQUESTER_WORDS),
        reads: Reads::Ticket("requester_id"),
    },
    ConditionField {
        field: "organization_id",
        title: "Organization",
        applies: Applies::Both,
        operators: EQUALITY_CHANGES,
        values: Values::Organization(NONE),
        reads: Reads::Ticket("organization_id"),
    },
    ConditionField {
        field: "current_tags",
        title: "Tags",
        applies: Applies::Both,
        operators: TAGS,
        values: Values::Tags,
        reads: Reads::Tags,
    },
    ConditionField {
        field: "via_id",
        title: "Channel",
        applies: Applies::Both,
        operators: EQUALITY,
        values: Values::Via,
        reads: Reads::TicketVia,
    },
    ConditionField {
        field: "current_via_id",
        title: "Update via",
        applies: Applies::TriggersOnly,
        operators: EQUALITY,
        values: Values::Via,
        reads: Reads::UpdateVia,
    },
    ConditionField {
        field: "comment_is_public",
        title: "Comment",
        applies: Applies::TriggersOnly,
        operators: &[Is],
        values: Values::Choice(&[
            ("true", "Public"),
            ("false", "Private"),
            ("not_relevant", "Present (public or private)"),
            (
                "requester_can_see_comment",
                "Present, and requester can see comment",
            ),
        ]),
        reads: Reads::CommentVisibility,
    },
    ConditionField {
        field: "comment_includes_word",
        title: "Comment text",
        applies: Applies::TriggersOnly,
        operators: WORDS,
        values: Values::Words,
        reads: Reads::CommentWords,
    },
    ConditionField {
        field: "subject_includes_word",
        title: "Subject text",
        applies: Applies::TriggersOnly,
        operators: WORDS,
        values: Values::Words,
        reads: Reads::SubjectWords,
    },
    ConditionField {
        field: "role",
        title: "Current user",
        applies: Applies::TriggersOnly,
        operators: EQUALITY,
        // `agent` holds for admins too: an admin is an agent.
        values: Values::Choice(&[("end_user", "(end user)"), ("agent", "(agent)")]),
        reads: Reads::Role,
    },
    hours("hours_since_created", "Hours since created", Since::Created),
    hours("hours_since_open", "Hours since open", Since::Open),
    hours("hours_since_pending", "Hours since pending", Since::Pending),
    hours("hours_since_hold", "Hours since on-hold", Since::Hold),
    hours("hours_since_solved", "Hours since solved", Since::Solved),
    hours("hours_since_closed", "Hours since closed", Since::Closed),
    hours(
        "hours_since_assigned",
        "Hours since assigned",
        Since::Assigned,
    ),
    hours("hours_since_update", "Hours since update", Since::Update),
    hours(
        "hours_since_requester_update",
        "Hours since requester update",
        Since::RequesterUpdate,
    ),
    hours(
        "hours_since_assignee_update",
        "Hours since assignee update",
        Since::AssigneeUpdate,
    ),
];

/// The condition field a name names, if the sandbox knows it.
pub fn condition_field(name: &str) -> Option<&'static ConditionField> {
    CONDITION_FIELDS.iter().find(|f| f.field == name)
}

/// The condition fields a kind of rule may use, by name, for messages.
pub fn condition_names(kind: RuleKind) -> Vec<&'static str> {
    CONDITION_FIELDS
        .iter()
        .filter(|f| f.applies.to(kind))
        .map(|f| f.field)
        .collect()
}

/// The prefix of a custom field's condition or action (`custom_fields_360001234`).
pub const CUSTOM_FIELD_PREFIX: &str = "custom_fields_";

/// What an action sets or sends, and so how its value is checked and applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionValues {
    /// Sets the ticket field to one of these.
    Choice(Choices),
    /// Sets the assignee: an agent's id or one of these words.
    Assignee(Choices),
    /// Sets the group: a group id or one of these words.
    Group(Choices),
    /// Replaces, adds or removes tags.
    Tags,
    /// `[recipient, subject, body]`: the recipient a user id or one of these words.
    EmailUser(Choices),
    /// `[group, subject, body]`: a group id or one of these words.
    EmailGroup(Choices),
    /// `[webhook_id, body]`.
    Webhook,
}

/// One action field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionField {
    pub field: &'static str,
    pub title: &'static str,
    pub values: ActionValues,
}

/// Statuses an action may set (never back to new).
pub const STATUS_ACTION_CHOICES: Choices = &[
    ("open", "Open"),
    ("pending", "Pending"),
    ("hold", "On-hold"),
    ("solved", "Solved"),
    ("closed", "Closed"),
];

/// Who `notification_user` may mail besides a user id.
pub const EMAIL_USER_WORDS: Choices = &[
    ("requester_id", "(requester)"),
    ("requester_and_ccs", "(requester and CCs)"),
    ("assignee_id", "(assignee)"),
    ("current_user", "(current user)"),
];

/// The actions the sandbox applies (`custom_fields_<id>` besides), in `definitions` order.
pub const ACTION_FIELDS: &[ActionField] = &[
    ActionField {
        field: "status",
        title: "Status",
        values: ActionValues::Choice(STATUS_ACTION_CHOICES),
    },
    ActionField {
        field: "priority",
        title: "Priority",
        values: ActionValues::Choice(PRIORITY_CHOICES),
    },
    ActionField {
        field: "type",
        title: "Type",
        values: ActionValues::Choice(TYPE_CHOICES),
    },
    ActionField {
        field: "group_id",
        title: "Group",
        values: ActionValues::Group(NONE),
    },
    ActionField {
        field: "assignee_id",
        title: "Assignee",
        values: ActionValues::Assignee(&[("", "-"), ("current_user", "(current user)")]),
    },
    ActionField {
        field: "set_tags",
        title: "Set tags",
        values: ActionValues::Tags,
    },
    ActionField {
        field: "current_tags",
        title: "Add tags",
        values: ActionValues::Tags,
    },
    ActionField {
        field: "remove_tags",
        title: "Remove tags",
        values: ActionValues::Tags,
    },
    ActionField {
        field: "notification_user",
        title: "Email user",
        values: ActionValues::EmailUser(EMAIL_USER_WORDS),
    },
    ActionField {
        field: "notification_group",
        title: "Email group",
        values: ActionValues::EmailGroup(&[("group_id", "(assigned group)")]),
    },
    ActionField {
        field: "notification_webhook",
        title: "Notify active webhook",
        values: ActionValues::Webhook,
    },
];

/// The action field a name names, if the sandbox applies it.
pub fn action_field(name: &str) -> Option<&'static ActionField> {
    ACTION_FIELDS.iter().find(|f| f.field == name)
}

/// A custom ticket field's type, as conditions and actions treat it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomFieldKind {
    /// Text, multi-line text, regular expression, credit card: compared as text.
    Text,
    Checkbox,
    /// Integer and decimal: compared as numbers.
    Number,
    /// `YYYY-MM-DD`, compared in date order.
    Date,
    /// One of the options (their values are tags).
    Dropdown(Vec<(String, String)>),
    /// Several of the options.
    Multiselect(Vec<(String, String)>),
}

impl CustomFieldKind {
    /// The operators a condition on such a field takes (before dropping those comparing a
    /// change for automations).
    pub fn operators(&self) -> Vec<Operator> {
        let own: &[Operator] = match self {
            CustomFieldKind::Text | CustomFieldKind::Dropdown(_) => {
                &[Is, IsNot, Present, NotPresent]
            }
            CustomFieldKind::Checkbox => &[Is, IsNot],
            CustomFieldKind::Number | CustomFieldKind::Date => {
                &[Is, IsNot, LessThan, GreaterThan, Present, NotPresent]
            }
            CustomFieldKind::Multiselect(_) => &[Includes, NotIncludes, Present, NotPresent],
        };
        own.iter().chain(CHANGES).copied().collect()
    }

    /// The options of a dropdown or multiselect field.
    pub fn options(&self) -> &[(String, String)] {
        match self {
            CustomFieldKind::Dropdown(options) | CustomFieldKind::Multiselect(options) => options,
            _ => &[],
        }
    }
}

/// A custom ticket field rules may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    pub id: i64,
    pub title: String,
    pub kind: CustomFieldKind,
}

impl CustomField {
    /// A ticket field record (`{"id", "type", "title", "custom_field_options": [{"name",
    /// "value"}]}`) as rules see it; `None` for Zendesk's system fields (status, group...),
    /// which rules name by their own condition fields.
    pub fn from_record(field: &Value) -> Option<CustomField> {
        let id = field["id"].as_i64()?;
        let options = || -> Vec<(String, String)> {
            field["custom_field_options"]
                .as_array()
                .map(|options| {
                    options
                        .iter()
                        .filter_map(|o| {
                            Some((o["value"].as_str()?.to_string(), text_or(&o["name"])))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let kind = match field["type"].as_str()? {
            "text" | "textarea" | "regexp" | "partialcreditcard" => CustomFieldKind::Text,
            "checkbox" => CustomFieldKind::Checkbox,
            "integer" | "decimal" => CustomFieldKind::Number,
            "date" => CustomFieldKind::Date,
            "tagger" => CustomFieldKind::Dropdown(options()),
            "multiselect" => CustomFieldKind::Multiselect(options()),
            // A lookup relationship holds a record id.
            "lookup" => CustomFieldKind::Number,
            _ => return None,
        };
        Some(CustomField {
            id,
            title: text_or(&field["title"]),
            kind,
        })
    }
}

fn text_or(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// A record a rule may name by id, with the name `definitions` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A webhook a rule may call: only one subscribed to `conditional_ticket_events` may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub id: String,
    pub name: String,
    /// Subscribed to `conditional_ticket_events` (else to event types, and no rule may call it).
    pub conditional: bool,
    /// `request_format` is json: placeholders in the body are escaped as JSON string text.
    pub json: bool,
}

/// What the account holds that rules may name, passed in by the caller.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub custom_fields: Vec<CustomField>,
    pub groups: Vec<Named>,
    pub agents: Vec<Named>,
    pub webhooks: Vec<WebhookTarget>,
}

impl Vocabulary {
    pub fn custom_field(&self, id: i64) -> Option<&CustomField> {
        self.custom_fields.iter().find(|f| f.id == id)
    }

    pub fn webhook(&self, id: &str) -> Option<&WebhookTarget> {
        self.webhooks.iter().find(|w| w.id == id)
    }

    pub fn has_group(&self, id: i64) -> bool {
        self.groups.iter().any(|g| g.id == id)
    }

    pub fn has_agent(&self, id: i64) -> bool {
        self.agents.iter().any(|a| a.id == id)
    }
}

/// Whether a parse checks that every record a rule names exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A create or update: a rule naming a missing group, agent, field or webhook is refused.
    Save,
    /// Reading a stored rule to run it: names are taken as they are (a missing one simply
    /// matches nothing, mails no one, or fails at delivery).
    Load,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_operator_round_trips_its_wire_name() {
        for (op, wire, ..) in OPERATORS {
            assert_eq!(Operator::from_wire(wire), Some(*op));
            assert_eq!(op.as_str(), *wire);
        }
        assert_eq!(Operator::from_wire("contains"), None);
    }

    #[test]
    fn field_names_are_unique_and_kinds_see_their_own() {
        let mut names: Vec<_> = CONDITION_FIELDS.iter().map(|f| f.field).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CONDITION_FIELDS.len());
        let triggers = condition_names(RuleKind::Trigger);
        let automations = condition_names(RuleKind::Automation);
        assert!(triggers.contains(&"update_type") && !triggers.contains(&"hours_since_solved"));
        assert!(automations.contains(&"hours_since_solved") && !automations.contains(&"role"));
        assert!(automations.contains(&"status"));
    }

    #[test]
    fn automations_never_see_change_operators() {
        let status = condition_field("status").unwrap();
        assert!(status.operators_for(RuleKind::Trigger).contains(&Changed));
        let for_automations = status.operators_for(RuleKind::Automation);
        assert!(for_automations.iter().all(|op| !op.compares_change()));
        assert!(for_automations.contains(&LessThan));
    }

    #[test]
    fn custom_fields_read_from_ticket_field_records() {
        let dropdown = CustomField::from_record(&json!({
            "id": 9, "type": "tagger", "title": "Plan",
            "custom_field_options": [{"name": "Gold", "value": "plan_gold"}]
        }))
        .unwrap();
        assert_eq!(
            dropdown.kind,
            CustomFieldKind::Dropdown(vec![("plan_gold".into(), "Gold".into())])
        );
        assert_eq!(
            CustomField::from_record(&json!({"id": 2, "type": "checkbox", "title": "VIP"}))
                .unwrap()
                .kind,
            CustomFieldKind::Checkbox
        );
        assert!(CustomField::from_record(&json!({"id": 1, "type": "status"})).is_none());
    }

    #[test]
    fn channels_map_both_ways() {
        let api = via_of_channel("api").unwrap();
        assert_eq!((api.id, api.via_type), (5, "web_service"));
        assert!(via_of_channel("carrier pigeon").is_none());
    }
}
