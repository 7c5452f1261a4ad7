//! The demo help desk for `--seed demo`: groups, organizations, agents, end-users, and tickets
//! with comments in every status. Written through the same rules as the API (so the data is
//! exactly what the API would have produced), in one transaction, and only into a database that
//! holds nothing but the admin.

use serde_json::{Value, json};

use crate::business_rules::account::{AccountRules, DEFAULT_ACCOUNT_URL, RulesCache};
use crate::business_rules::{macros, views};
use crate::caller::{Caller, Role};
use crate::error::{ApiError, SandboxError};
use crate::resources::{
    group_memberships, help_center, object as obj, organizations, ticket_fields, tickets, users,
};
use crate::store::{Bind, Filter, ListQuery, Store, Table, Window, Writer};
use crate::util::{iso, now};

fn api(error: ApiError) -> SandboxError {
    SandboxError::Config(format!("seeding failed: {}", error.body()))
}

/// Fills an empty sandbox with the demo help desk; returns false (and changes nothing) when the
/// database already holds data.
pub async fn seed_demo(store: &Store) -> Result<bool, SandboxError> {
    // Check and fill in one write transaction, so two processes opening a fresh file cannot
    // both seed it.
    store.write(fill).await.map_err(api)
}

/// The first admin, when the help desk holds nothing but admins.
fn empty_help_desk(tx: &mut dyn Writer) -> Result<Option<i64>, ApiError> {
    let people = [Bind::Text("end-user".into()), Bind::Text("agent".into())];
    let filled = tx.count(Table::Tickets, &[])?
        + tx.count(Table::Organizations, &[])?
        + tx.count(Table::Groups, &[])?
        + tx.count(Table::Users, &[Filter::In("role", people.to_vec())])?;
    if filled > 0 {
        return Ok(None);
    }
    let admins = tx.list_page(&ListQuery {
        table: Table::Users,
        filters: &[Filter::Eq("role", Bind::Text("admin".into()))],
        sort_column: "id",
        descending: false,
        window: &Window::After { key: None, size: 1 },
    })?;
    Ok(admins.rows.first().map(|(id, _, _)| *id))
}

fn fill(tx: &mut dyn Writer) -> Result<bool, ApiError> {
    let Some(admin_id) = empty_help_desk(tx)? else {
        tracing::info!("the sandbox database is not empty (or has no admin): demo seed skipped");
        return Ok(false);
    };
    let admin = Caller {
        id: admin_id,
        role: Role::Admin,
    };
    // The demo's tickets set off the account's triggers like any other (their mail in the
    // outbox names the sandbox's default address).
    let account = AccountRules::new(DEFAULT_ACCOUNT_URL, RulesCache::default());
    let at = iso(now());

    let mut group_ids = Vec::new();
    for (name, description) in [
        ("Support", "First line: every new request lands here"),
        ("Billing", "Invoices, refunds and plan changes"),
        (
            "Escalations",
            "Incidents and problems that need engineering",
        ),
    ] {
        let id = tx.allocate_id(Table::Groups)?;
        let group = json!({
            "id": id, "is_public": true, "name": name, "description": description,
            "default": name == "Support", "deleted": false, "created_at": at, "updated_at": at
        });
        tx.save(Table::Groups, &group)?;
        group_ids.push(id);
    }

    let field_id = tx.allocate_id(Table::OrganizationFields)?;
    let first_option = tx.next_ids("option", 3)?;
    let field = json!({
        "id": field_id, "type": "dropdown", "key": "support_plan", "title": "Support plan",
        "description": "The support contract this organization pays for",
        "raw_title": "Support plan", "raw_description": "The support contract this organization pays for",
        "position": 0, "active": true, "system": false, "regexp_for_validation": null,
        "created_at": at, "updated_at": at,
        "custom_field_options": [
            {"id": first_option, "name": "Basic", "raw_name": "Basic", "value": "basic", "position": 0, "default": false},
            {"id": first_option + 1, "name": "Premium", "raw_name": "Premium", "value": "premium", "position": 1, "default": false},
            {"id": first_option + 2, "name": "Enterprise", "raw_name": "Enterprise", "value": "enterprise", "position": 2, "default": false}
        ]
    });
    tx.save_organization_field(&field, false)?;

    let mut org_ids = Vec::new();
    for (name, domain, plan, tags) in [
        (
            "Acme Corporation",
            "acme.example",
            "enterprise",
            vec!["vip", "manufacturing"],
        ),
        ("Globex", "globex.example", "premium", vec!["retail"]),
        ("Initech", "initech.example", "basic", vec!["software"]),
    ] {
        let org = organizations::create(
            tx,
            &admin,
            &obj(json!({
                "name": name, "domain_names": [domain], "tags": tags,
                "details": format!("{name} headquarters"),
                "organization_fields": {"support_plan": plan}
            })),
        )?;
        org_ids.push(org["id"].as_i64().unwrap_or_default());
    }

    let mut agent_ids = Vec::new();
    for (name, email, group) in [
        ("Ada Agent", "ada.agent@example.com", 0),
        ("Ben Billing", "ben.billing@example.com", 1),
        ("Cleo Escalation", "cleo.escalation@example.com", 2),
    ] {
        let user = users::create(
            tx,
            &admin,
            &obj(
                json!({"name": name, "email": email, "role": "agent", "verified": true, "default_group_id": group_ids[group]}),
            ),
        )?;
        agent_ids.push(user["id"].as_i64().unwrap_or_default());
    }

    // Agents belong to groups: who can be assigned where.
    let memberships = [(0, 0), (0, 2), (1, 1), (2, 2), (2, 0)];
    for (agent, group) in memberships {
        group_memberships::create(
            tx,
            &admin,
            &obj(json!({"user_id": agent_ids[agent], "group_id": group_ids[group]})),
        )?;
    }
    group_memberships::create(
        tx,
        &admin,
        &obj(json!({"user_id": admin_id, "group_id": group_ids[0]})),
    )?;

    // Custom ticket fields the demo tickets use: a drop-down, a text and a checkbox.
    let field_id = |field: Value| field["id"].as_i64().unwrap_or_default();
    let product_field = field_id(ticket_fields::create(
        tx,
        &admin,
        &obj(json!({
            "type": "tagger", "title": "Product", "description": "Which product the request is about",
            "custom_field_options": [
                {"name": "Customer portal", "value": "portal"},
                {"name": "Billing", "value": "billing"},
                {"name": "Hardware", "value": "hardware"},
                {"name": "Integrations", "value": "integrations"}
            ]
        })),
    )?);
    let order_field = field_id(ticket_fields::create(
        tx,
        &admin,
        &obj(
            json!({"type": "text", "title": "Order number", "description": "The customer's order, if any"}),
        ),
    )?);
    let engineering_field = field_id(ticket_fields::create(
        tx,
        &admin,
        &obj(
            json!({"type": "checkbox", "title": "Needs engineering", "tag": "needs_engineering",
            "description": "Checked when engineering has to fix something"}),
        ),
    )?);

    let mut customer_ids = Vec::new();
    for (name, email, org, phone) in [
        ("Wile E. Coyote", "wile@acme.example", 0, "+1-555-0100"),
        ("Road Runner", "beep@acme.example", 0, "+1-555-0101"),
        ("Hank Scorpio", "hank@globex.example", 1, "+1-555-0102"),
        ("Homer Simpson", "homer@globex.example", 1, "+1-555-0103"),
        ("Peter Gibbons", "peter@initech.example", 2, "+1-555-0104"),
        ("Milton Waddams", "milton@initech.example", 2, "+1-555-0105"),
    ] {
        let user = users::create(
            tx,
            &admin,
            &obj(json!({
                "name": name, "email": email, "organization_id": org_ids[org], "phone": phone,
                "external_id": format!("crm-{}", email.split('@').next().unwrap_or(name)),
                "verified": true
            })),
        )?;
        customer_ids.push(user["id"].as_i64().unwrap_or_default());
    }

    // (subject, first comment, requester, status, priority, type, agent, group, tags, reply)
    let demo = [
        (
            "Cannot log in to the portal",
            "Since this morning the login page says my password is wrong, but I reset it twice.",
            0,
            "new",
            Some("high"),
            Some("problem"),
            None,
            0,
            vec!["login", "portal"],
            None,
        ),
        (
            "Invoice shows the wrong VAT number",
            "Our March invoice lists an old VAT number. Please send a corrected copy.",
            2,
            "new",
            Some("normal"),
            Some("question"),
            None,
            1,
            vec!["billing", "invoice"],
            None,
        ),
        (
            "Rocket skates arrived broken",
            "The left skate does not ignite. Order #4411.",
            0,
            "open",
            Some("urgent"),
            Some("incident"),
            Some(0),
            0,
            vec!["shipping", "damaged"],
            Some("Sorry about that! A replacement is on its way; tracking number to follow."),
        ),
        (
            "Export to CSV times out",
            "Exporting more than 5,000 rows fails after a minute with a timeout.",
            4,
            "open",
            Some("high"),
            Some("problem"),
            Some(2),
            2,
            vec!["export", "performance"],
            Some("We can reproduce it and have passed it to engineering."),
        ),
        (
            "How do I add a second admin?",
            "We want another person to manage our account. How?",
            3,
            "pending",
            Some("low"),
            Some("question"),
            Some(0),
            0,
            vec!["account"],
            Some(
                "Go to Settings > Team and invite them with the Admin role. Did that work for you?",
            ),
        ),
        (
            "Refund for duplicate charge",
            "I was charged twice for the May subscription.",
            1,
            "pending",
            Some("normal"),
            Some("task"),
            Some(1),
            1,
            vec!["billing", "refund"],
            Some(
                "We found the duplicate charge; can you confirm the last four digits of the card?",
            ),
        ),
        (
            "Integration with the ERP is down",
            "Orders are not syncing to our ERP since the update.",
            2,
            "hold",
            Some("urgent"),
            Some("incident"),
            Some(2),
            2,
            vec!["integration", "erp"],
            Some("Waiting on the ERP vendor to confirm their API change."),
        ),
        (
            "Stapler missing from the order",
            "My red stapler was not in the box.",
            5,
            "hold",
            Some("low"),
            Some("incident"),
            Some(0),
            0,
            vec!["shipping"],
            Some("Checking with the warehouse; we will update you within two days."),
        ),
        (
            "Password reset email never arrives",
            "I request a reset link but nothing arrives, not even in spam.",
            4,
            "solved",
            Some("normal"),
            Some("problem"),
            Some(0),
            0,
            vec!["login", "email"],
            Some(
                "Your mail server was rejecting our sender; it is whitelisted now and the reset works.",
            ),
        ),
        (
            "Change billing address",
            "Please update our billing address to 12 Main Street.",
            3,
            "solved",
            Some("low"),
            Some("task"),
            Some(1),
            1,
            vec!["billing"],
            Some("Done: the new address appears on your next invoice."),
        ),
        (
            "Dark mode request",
            "Would love a dark mode for the dashboard.",
            1,
            "closed",
            Some("low"),
            Some("question"),
            Some(0),
            0,
            vec!["feature_request"],
            Some("Thanks! Dark mode shipped in version 4.2."),
        ),
        (
            "API rate limit questions",
            "What is the rate limit of the orders API?",
            5,
            "closed",
            Some("normal"),
            Some("question"),
            Some(2),
            2,
            vec!["api"],
            Some("700 requests per minute on your plan; see the docs for the headers."),
        ),
    ];
    // What follows each ticket's first message, in the order of `demo`: the requester writes
    // again, an agent replies publicly (emailed to the requester), or an agent leaves an
    // internal note. Indices are into the agents above.
    let threads: [&[(Says, &str)]; 12] = [
        &[(
            Says::Customer,
            "Tried again from another browser: same error.",
        )],
        &[],
        &[
            (
                Says::Note(0),
                "Warehouse confirms the 12 March batch had faulty igniters.",
            ),
            (Says::Customer, "Any news? I have a delivery run on Friday."),
            (
                Says::Note(2),
                "Escalated to the supplier: the replacement batch ships Thursday.",
            ),
        ],
        &[
            (
                Says::Reply(2),
                "Thanks! Roughly how many rows does the export have?",
            ),
            (Says::Customer, "About 12,000 rows."),
            (
                Says::Note(2),
                "Reproduced with 12k rows: no index on created_at. Filed ENG-2291.",
            ),
        ],
        &[(
            Says::Note(1),
            "They are on Premium, which allows up to 3 admins.",
        )],
        &[(
            Says::Note(1),
            "The processor shows two captures of 29.00 on 2 May.",
        )],
        &[
            (Says::Customer, "This is blocking all our orders."),
            (
                Says::Reply(2),
                "Understood: we are treating this as urgent.",
            ),
            (
                Says::Note(0),
                "The vendor's changelog mentions a new auth header from v3.2.",
            ),
        ],
        &[(Says::Customer, "It was a red Swingline.")],
        &[
            (
                Says::Reply(0),
                "Could you check whether mail from our support address is blocked?",
            ),
            (Says::Customer, "Our IT says nothing is blocked."),
            (
                Says::Note(0),
                "Bounce logs show a 550 from their mail server.",
            ),
        ],
        &[],
        &[],
        &[
            (Says::Customer, "Is that per user or per account?"),
            (Says::Reply(2), "Per account."),
        ],
    ];
    // Product (drop-down), order number (text), needs engineering (checkbox), by ticket.
    let products = [
        "portal",
        "billing",
        "hardware",
        "integrations",
        "portal",
        "billing",
        "integrations",
        "hardware",
        "portal",
        "billing",
        "portal",
        "integrations",
    ];
    let orders = [
        None,
        None,
        Some("4411"),
        None,
        None,
        None,
        None,
        Some("5120"),
        None,
        None,
        None,
        None,
    ];
    let engineering = [
        false, false, false, true, false, false, true, false, false, false, false, false,
    ];
    for (index, (subject, body, requester, status, priority, kind, agent, group, tags, reply)) in
        demo.into_iter().enumerate()
    {
        let mut fields = vec![json!({"id": product_field, "value": products[index]})];
        if let Some(order) = orders[index] {
            fields.push(json!({"id": order_field, "value": order}));
        }
        if engineering[index] {
            fields.push(json!({"id": engineering_field, "value": true}));
        }
        let (ticket, _) = tickets::create(
            tx,
            &account,
            &admin,
            &obj(json!({
                "subject": subject, "comment": {"body": body, "author_id": customer_ids[requester]},
                "requester_id": customer_ids[requester], "priority": priority, "type": kind,
                "group_id": group_ids[group], "tags": tags, "custom_fields": fields
            })),
        )?;
        let id = ticket["id"].as_i64().unwrap_or_default();
        let agent_id = agent.map(|a| agent_ids[a]);
        let as_agent = |a: usize| Caller {
            id: agent_ids[a],
            role: Role::Agent,
        };
        let customer = Caller {
            id: customer_ids[requester],
            role: Role::EndUser,
        };
        if let Some(agent_id) = agent_id {
            let assign = json!({"assignee_id": agent_id, "status": "open"});
            tickets::update(tx, &account, &admin, id, &obj(assign))?;
        }
        for (says, text) in threads[index] {
            let (caller, public) = match says {
                Says::Customer => (customer.clone(), true),
                Says::Reply(a) => (as_agent(*a), true),
                Says::Note(a) => (as_agent(*a), false),
            };
            let comment = json!({"comment": {"body": text, "public": public}});
            tickets::update(tx, &account, &caller, id, &obj(comment))?;
        }
        if status == "new" {
            continue;
        }
        let agent_caller = Caller {
            id: agent_id.unwrap_or(admin_id),
            role: Role::Agent,
        };
        let mut change = json!({"status": if status == "closed" { "solved" } else { status }});
        if let Some(reply) = reply {
            change["comment"] = json!({"body": reply, "public": true});
        }
        tickets::update(tx, &account, &agent_caller, id, &obj(change))?;
        if status == "closed" {
            tickets::update(
                tx,
                &account,
                &agent_caller,
                id,
                &obj(json!({"status": "closed"})),
            )?;
        }
    }
    seed_macros(tx, &admin, &group_ids)?;
    seed_views(tx, &admin, &group_ids)?;
    seed_help_center(tx, &admin)?;
    Ok(true)
}

/// Shared macros the demo tickets call for: solving with thanks, asking for details,
/// escalating to engineering (an internal note), refunds, and the password-reset answer.
fn seed_macros(tx: &mut dyn Writer, admin: &Caller, groups: &[i64]) -> Result<(), ApiError> {
    let macros = [
        (
            "Close and thank the customer",
            "Solves the ticket with a thank-you",
            json!([
                {"field": "status", "value": "solved"},
                {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}},\n\nThanks for your patience: this is now resolved. Reply to this email if anything else comes up.\n\n{{current_user.first_name}}"}
            ]),
        ),
        (
            "Ask for more details",
            "Asks the customer for steps, screenshots and error messages",
            json!([
                {"field": "status", "value": "pending"},
                {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}},\n\nCould you send the steps you took, a screenshot, and the exact error message you see? That will help us find the cause quickly."}
            ]),
        ),
        (
            "Escalate to engineering",
            "Moves the ticket to Escalations with an internal note",
            json!([
                {"field": "group_id", "value": groups[2].to_string()},
                {"field": "priority", "value": "high"},
                {"field": "current_tags", "value": "escalated"},
                {"field": "comment_mode_is_public", "value": "false"},
                {"field": "comment_value", "value": "Escalated to engineering: reproduced by {{current_user.name}}. Please check the logs for ticket #{{ticket.id}}."}
            ]),
        ),
        (
            "Refund processed",
            "Confirms a refund and solves the ticket",
            json!([
                {"field": "group_id", "value": groups[1].to_string()},
                {"field": "status", "value": "solved"},
                {"field": "current_tags", "value": "refund"},
                {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}},\n\nWe have refunded the duplicate charge; it reaches your card within 5 business days."}
            ]),
        ),
        (
            "Password reset instructions",
            "Sends the steps to reset a password and waits for the customer",
            json!([
                {"field": "status", "value": "pending"},
                {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}},\n\nTo reset your password, open the login page, click \"Forgot password\" and follow the link we email you. If the email does not arrive within 10 minutes, check your spam folder and make sure your mail server accepts messages from our support address."}
            ]),
        ),
    ];
    for (position, (title, description, actions)) in macros.into_iter().enumerate() {
        macros::create(
            tx,
            admin,
            &obj(
                json!({"title": title, "description": description, "actions": actions,
                        "position": position, "restriction": null}),
            ),
        )?;
    }
    Ok(())
}

/// The queues of the demo help desk.
fn seed_views(tx: &mut dyn Writer, admin: &Caller, groups: &[i64]) -> Result<(), ApiError> {
    let unsolved = json!({"field": "status", "operator": "less_than", "value": "solved"});
    let columns = json!({"columns": ["nice_id", "description", "status", "priority", "requester", "assignee", "updated"],
                         "sort_by": "updated", "sort_order": "desc"});
    let views = [
        (
            "Your unsolved tickets",
            json!([unsolved, {"field": "assignee_id", "operator": "is", "value": "current_user"}]),
            json!([]),
        ),
        (
            "Unsolved tickets in your groups",
            json!([unsolved, {"field": "group_id", "operator": "is", "value": "current_groups"}]),
            json!([]),
        ),
        (
            "Unassigned tickets",
            json!([unsolved, {"field": "assignee_id", "operator": "is", "value": ""}]),
            json!([]),
        ),
        (
            "Urgent and high priority",
            json!([unsolved]),
            json!([{"field": "priority", "operator": "is", "value": "urgent"},
                   {"field": "priority", "operator": "is", "value": "high"}]),
        ),
        (
            "Billing queue",
            json!([unsolved, {"field": "group_id", "operator": "is", "value": groups[1].to_string()}]),
            json!([]),
        ),
        (
            "Recently solved",
            json!([{"field": "status", "operator": "is", "value": "solved"}]),
            json!([]),
        ),
    ];
    for (position, (title, all, any)) in views.into_iter().enumerate() {
        views::create(
            tx,
            admin,
            &obj(
                json!({"title": title, "all": all, "any": any, "output": columns,
                        "position": position, "restriction": null}),
            ),
        )?;
    }
    Ok(())
}

/// A small help center whose articles answer the demo tickets.
fn seed_help_center(tx: &mut dyn Writer, admin: &Caller) -> Result<(), ApiError> {
    let categories = [
        (
            "Getting started",
            "Accounts, sign-in and your team",
            vec![(
                "Account and sign-in",
                vec![
                    (
                        "Reset your password",
                        vec!["password", "login"],
                        "<p>Forgot your password? Open the login page and click <strong>Forgot password</strong>. We email you a reset link that works for one hour.</p><h2>The reset email never arrives</h2><p>Check your spam folder first. If it is not there, your mail server may be rejecting our sender: ask your IT team to accept mail from support@example.com, then request a new link.</p><h2>Still cannot log in</h2><p>Clear your browser's cookies for the portal, or try another browser. After five failed attempts the account is locked for 15 minutes.</p>",
                    ),
                    (
                        "Add another admin to your account",
                        vec!["admin", "team"],
                        "<p>Go to <strong>Settings &gt; Team</strong>, click <em>Invite</em>, and choose the <strong>Admin</strong> role. Basic plans allow one admin, Premium plans three, and Enterprise plans any number.</p>",
                    ),
                ],
            )],
        ),
        (
            "Billing",
            "Invoices, payments and refunds",
            vec![(
                "Invoices and payments",
                vec![
                    (
                        "Request a refund for a duplicate charge",
                        vec!["refund", "billing"],
                        "<p>If you were charged twice for the same month, reply to your invoice email or open a ticket with the <strong>last four digits</strong> of the card. We refund duplicate charges within 5 business days.</p>",
                    ),
                    (
                        "Correct the VAT number on an invoice",
                        vec!["invoice", "vat", "billing"],
                        "<p>Update the VAT number under <strong>Settings &gt; Billing</strong>. Invoices issued after the change show the new number; for an earlier invoice, ask support for a corrected copy.</p>",
                    ),
                ],
            )],
        ),
        (
            "Troubleshooting",
            "When something does not work",
            vec![(
                "Orders and integrations",
                vec![
                    (
                        "Export large reports to CSV",
                        vec!["export", "csv"],
                        "<p>Exports of more than 5,000 rows run in the background: choose <strong>Export &gt; Email me the file</strong> and we send a link when it is ready. Direct downloads of large exports may time out.</p>",
                    ),
                    (
                        "Report damaged or missing items",
                        vec!["shipping", "order"],
                        "<p>Send us your order number and a photo of the damaged item within 30 days of delivery. We ship a replacement for broken or missing items at no cost.</p>",
                    ),
                    (
                        "API rate limits",
                        vec!["api"],
                        "<p>The orders API allows 700 requests per minute per account. Responses carry <code>X-Rate-Limit-Remaining</code>; a 429 answer says in <code>Retry-After</code> how long to wait.</p>",
                    ),
                    (
                        "Reconnect your ERP integration",
                        vec!["integration", "erp"],
                        "<p>After an ERP upgrade, orders may stop syncing. Open <strong>Integrations &gt; ERP</strong>, click <em>Reconnect</em>, and sign in again. Version 3.2 and later of the connector send the new authentication header.</p>",
                    ),
                ],
            )],
        ),
    ];
    for (category_position, (name, description, sections)) in categories.into_iter().enumerate() {
        let category = help_center::create_category(
            tx,
            admin,
            &obj(json!({"name": name, "description": description, "position": category_position})),
            None,
        )?;
        let category_id = category["id"].as_i64().unwrap_or_default();
        for (section_position, (section_name, articles)) in sections.into_iter().enumerate() {
            let section = help_center::create_section(
                tx,
                admin,
                category_id,
                &obj(json!({"name": section_name, "position": section_position})),
                None,
            )?;
            let section_id = section["id"].as_i64().unwrap_or_default();
            for (position, (title, labels, body)) in articles.into_iter().enumerate() {
                help_center::create_article(
                    tx,
                    admin,
                    section_id,
                    &obj(json!({"title": title, "body": body, "label_names": labels,
                                "position": position})),
                    None,
                )?;
            }
        }
    }
    Ok(())
}

/// Who writes a message of a demo thread.
enum Says {
    /// The ticket's requester.
    Customer,
    /// A public reply by the agent at this index.
    Reply(usize),
    /// An internal note by the agent at this index.
    Note(usize),
}
