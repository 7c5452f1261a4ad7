//! `zd users`: list (by role, one page or `--all`), get, search, create, update and delete, on
//! the user tools.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use zendesk_types::UserRole;

use crate::cmd::common::{self, Session, put};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List users, optionally by role.
    List {
        #[arg(long, help = common::choices("Only users with this role", UserRole::KNOWN))]
        role: Option<String>,
        /// Users per page (1-100).
        #[arg(long)]
        per_page: Option<String>,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one user (`me` for the authenticated user).
    Get {
        /// The user ID, e.g. 42, or `me`.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Search users by name or email (Zendesk's user search), one page at a time.
    Search {
        /// What to look for, e.g. `jane` or `jane@example.com`.
        query: String,
        /// Users per page (1-100).
        #[arg(long)]
        per_page: Option<String>,
        /// Page number, from 1.
        #[arg(long)]
        page: Option<String>,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Create a user.
    Create(CreateArgs),
    /// Update a user.
    Update(UpdateArgs),
    /// Delete a user.
    Delete {
        /// The user ID, e.g. 42.
        id: String,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// The fields a user is created or updated with, in the CLI's words.
#[derive(clap::Args)]
struct UserFields {
    /// The user's email address.
    #[arg(long)]
    email: Option<String>,
    #[arg(long, help = common::choices("The user's role", UserRole::KNOWN))]
    role: Option<String>,
    /// Phone number, e.g. +1-555-123-4567.
    #[arg(long)]
    phone: Option<String>,
    /// Organization ID.
    #[arg(long)]
    organization_id: Option<String>,
    /// Comma-separated tags (replace the user's tags).
    #[arg(long)]
    tags: Option<String>,
    /// true to mark the email verified (no verification email), false otherwise.
    #[arg(long)]
    verified: Option<String>,
    /// JSON object of user field values by key, e.g. '{"plan": "gold"}'.
    #[arg(long)]
    custom_fields: Option<String>,
}

impl UserFields {
    fn put_into(&self, args: &mut Map<String, Value>) {
        put(args, "userEmail", &self.email);
        put(args, "role", &self.role);
        put(args, "phone", &self.phone);
        put(args, "organizationId", &self.organization_id);
        put(args, "tags", &self.tags);
        put(args, "verified", &self.verified);
        put(args, "customFields", &self.custom_fields);
    }
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The user's full name.
    #[arg(long)]
    name: String,
    #[command(flatten)]
    fields: UserFields,
    /// Print the tool's JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct UpdateArgs {
    /// The user ID, e.g. 42.
    id: String,
    /// A new full name.
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    fields: UserFields,
    /// Print the tool's JSON output.
    #[arg(long)]
    json: bool,
}

const UPDATE_FLAGS: &str =
    "--name, --email, --role, --phone, --organization-id, --tags, --verified, --custom-fields";

impl Command {
    /// Usage errors found without asking Zendesk, before the session (and with it the
    /// embedded sandbox) is opened.
    fn check(&self) -> Result<(), ExitCode> {
        match self {
            Command::Update(update) => common::require_change(&update.changes(), UPDATE_FLAGS),
            Command::Search { query, .. } if query.trim().is_empty() => Err(common::usage_error(
                "the search query is empty: give a name or email, e.g. `zd users search jane`",
            )),
            _ => Ok(()),
        }
    }
}

impl UpdateArgs {
    /// The fields to change, as the update tool's arguments (without the ID).
    fn changes(&self) -> Map<String, Value> {
        let mut args = Map::new();
        put(&mut args, "name", &self.name);
        self.fields.put_into(&mut args);
        args
    }
}

pub async fn run(args: Args) -> ExitCode {
    if let Err(code) = args.command.check() {
        return code;
    }
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = match args.command {
        Command::List {
            role,
            per_page,
            all,
            json,
        } => {
            let mut call = Map::new();
            put(&mut call, "role", &role);
            put(&mut call, "perPage", &per_page);
            common::fetch_list(&session, "zendesk_get_users", call, "users", all)
                .await
                .map(|(users, has_more)| {
                    common::print_list("users", &users, has_more, json, user_rows)
                })
        }
        Command::Get { id, json } => get_user(&session, &id, json).await,
        Command::Search {
            query,
            per_page,
            page,
            json,
        } => search_users(&session, query, per_page, page, json).await,
        Command::Create(create) => create_user(&session, create).await,
        Command::Update(update) => update_user(&session, update).await,
        Command::Delete { id, json } => delete_user(&session, id, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

pub(crate) fn user_rows(users: &[Value]) {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                common::cell(&u["id"]),
                common::clip(&common::cell(&u["name"]), 30),
                common::cell(&u["email"]),
                common::cell(&u["role"]),
                common::cell(&u["organization_id"]),
            ]
        })
        .collect();
    common::print_table(&["ID", "NAME", "EMAIL", "ROLE", "ORGANIZATION"], &rows);
}

const USER_FIELDS: &[&str] = &[
    "id",
    "name",
    "email",
    "role",
    "organization_id",
    "phone",
    "verified",
    "active",
    "tags",
    "created_at",
    "updated_at",
];

async fn get_user(session: &Session, id: &str, json: bool) -> Result<(), ExitCode> {
    let output = if id.trim().eq_ignore_ascii_case("me") {
        session.call("zendesk_get_current_user", json!({})).await?
    } else {
        session
            .call("zendesk_get_user", json!({ "userId": id }))
            .await?
    };
    if json {
        common::print_json(&output);
    } else {
        common::print_record(&output["user"], USER_FIELDS);
    }
    Ok(())
}

async fn search_users(
    session: &Session,
    query: String,
    per_page: Option<String>,
    page: Option<String>,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("query".into(), json!(query));
    put(&mut args, "perPage", &per_page);
    put(&mut args, "page", &page);
    let output = session
        .call("zendesk_search_users", Value::Object(args))
        .await?;
    common::print_page("users", &output, json, user_rows);
    Ok(())
}

async fn create_user(session: &Session, create: CreateArgs) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("name".into(), json!(create.name));
    create.fields.put_into(&mut args);
    let output = session
        .call("zendesk_create_user", Value::Object(args))
        .await?;
    if create.json {
        common::print_json(&output);
    } else {
        let user = &output["user"];
        println!(
            "Created user #{}: {} <{}> ({})",
            common::cell(&output["user_id"]),
            common::cell(&user["name"]),
            common::cell(&user["email"]),
            common::cell(&user["role"])
        );
    }
    Ok(())
}

async fn update_user(session: &Session, update: UpdateArgs) -> Result<(), ExitCode> {
    let mut args = update.changes();
    args.insert("userId".into(), json!(update.id));
    let output = session
        .call("zendesk_update_user", Value::Object(args))
        .await?;
    if update.json {
        common::print_json(&output);
    } else {
        println!("Updated user #{}:", common::cell(&output["user_id"]));
        common::print_record(&output["user"], USER_FIELDS);
    }
    Ok(())
}

async fn delete_user(session: &Session, id: String, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call("zendesk_delete_user", json!({ "userId": id }))
        .await?;
    if json {
        common::print_json(&output);
    } else {
        println!("Deleted user #{}", common::cell(&output["user_id"]));
    }
    Ok(())
}
