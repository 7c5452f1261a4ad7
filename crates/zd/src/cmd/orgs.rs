//! `zd orgs`: list (one page or `--all`), get, autocomplete by name prefix, create, update and
//! delete, on the organization tools.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::cmd::common::{self, Session, put};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List organizations.
    List {
        /// Organizations per page (1-100).
        #[arg(long)]
        per_page: Option<String>,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one organization.
    Get {
        /// The organization ID, e.g. 42.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Find organizations whose name starts with NAME, one page at a time.
    Autocomplete {
        /// The name prefix, e.g. `Acme`.
        name: String,
        /// Organizations per page (1-100).
        #[arg(long)]
        per_page: Option<String>,
        /// Page number, from 1.
        #[arg(long)]
        page: Option<String>,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Create an organization.
    Create(CreateArgs),
    /// Update an organization.
    Update(UpdateArgs),
    /// Delete an organization.
    Delete {
        /// The organization ID, e.g. 42.
        id: String,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// The fields an organization is created or updated with, in the CLI's words.
#[derive(clap::Args)]
struct OrganizationFields {
    /// Comma-separated domain names, e.g. "acme.com, acme.org" (users with these email
    /// domains join the organization).
    #[arg(long)]
    domain_names: Option<String>,
    /// Details about the organization (free text).
    #[arg(long)]
    details: Option<String>,
    /// Notes about the organization (free text).
    #[arg(long)]
    notes: Option<String>,
    /// Comma-separated tags (replace the organization's tags).
    #[arg(long)]
    tags: Option<String>,
    /// JSON object of organization field values by key, e.g. '{"tier": "gold"}'.
    #[arg(long)]
    custom_fields: Option<String>,
}

impl OrganizationFields {
    fn put_into(&self, args: &mut Map<String, Value>) {
        put(args, "domainNames", &self.domain_names);
        put(args, "details", &self.details);
        put(args, "notes", &self.notes);
        put(args, "tags", &self.tags);
        put(args, "customFields", &self.custom_fields);
    }
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The organization's name (unique in the account).
    #[arg(long)]
    name: String,
    #[command(flatten)]
    fields: OrganizationFields,
    /// Print the tool's JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct UpdateArgs {
    /// The organization ID, e.g. 42.
    id: String,
    /// A new name.
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    fields: OrganizationFields,
    /// Print the tool's JSON output.
    #[arg(long)]
    json: bool,
}

const UPDATE_FLAGS: &str = "--name, --domain-names, --details, --notes, --tags, --custom-fields";

impl Command {
    /// Usage errors found without asking Zendesk, before the session (and with it the
    /// embedded sandbox) is opened.
    fn check(&self) -> Result<(), ExitCode> {
        match self {
            Command::Update(update) => common::require_change(&update.changes(), UPDATE_FLAGS),
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
            per_page,
            all,
            json,
        } => {
            let mut call = Map::new();
            put(&mut call, "perPage", &per_page);
            common::fetch_list(
                &session,
                "zendesk_get_organizations",
                call,
                "organizations",
                all,
            )
            .await
            .map(|(orgs, has_more)| {
                common::print_list("organizations", &orgs, has_more, json, organization_rows)
            })
        }
        Command::Get { id, json } => get_organization(&session, &id, json).await,
        Command::Autocomplete {
            name,
            per_page,
            page,
            json,
        } => autocomplete(&session, name, per_page, page, json).await,
        Command::Create(create) => create_organization(&session, create).await,
        Command::Update(update) => update_organization(&session, update).await,
        Command::Delete { id, json } => delete_organization(&session, id, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

pub(crate) fn organization_rows(organizations: &[Value]) {
    let rows: Vec<Vec<String>> = organizations
        .iter()
        .map(|o| {
            vec![
                common::cell(&o["id"]),
                common::clip(&common::cell(&o["name"]), 40),
                common::cell(&o["domain_names"]),
                common::cell(&o["tags"]),
            ]
        })
        .collect();
    common::print_table(&["ID", "NAME", "DOMAINS", "TAGS"], &rows);
}

async fn get_organization(session: &Session, id: &str, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call("zendesk_get_organization", json!({ "organizationId": id }))
        .await?;
    if json {
        common::print_json(&output);
    } else {
        print_organization(&output["organization"]);
    }
    Ok(())
}

fn print_organization(organization: &Value) {
    common::print_record(
        organization,
        &[
            "id",
            "name",
            "domain_names",
            "details",
            "notes",
            "tags",
            "group_id",
            "created_at",
            "updated_at",
        ],
    );
    if let Some(fields) = organization["organization_fields"].as_object()
        && !fields.is_empty()
    {
        println!("\norganization fields:");
        for (key, value) in fields {
            println!("  {key}: {}", common::cell(value));
        }
    }
}

async fn autocomplete(
    session: &Session,
    name: String,
    per_page: Option<String>,
    page: Option<String>,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("name".into(), json!(name));
    put(&mut args, "perPage", &per_page);
    put(&mut args, "page", &page);
    let output = session
        .call("zendesk_autocomplete_organizations", Value::Object(args))
        .await?;
    common::print_page("organizations", &output, json, organization_rows);
    Ok(())
}

async fn create_organization(session: &Session, create: CreateArgs) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("name".into(), json!(create.name));
    create.fields.put_into(&mut args);
    let output = session
        .call("zendesk_create_organization", Value::Object(args))
        .await?;
    if create.json {
        common::print_json(&output);
    } else {
        println!(
            "Created organization #{}: {}",
            common::cell(&output["organization_id"]),
            common::cell(&output["organization"]["name"])
        );
    }
    Ok(())
}

async fn update_organization(session: &Session, update: UpdateArgs) -> Result<(), ExitCode> {
    let mut args = update.changes();
    args.insert("organizationId".into(), json!(update.id));
    let output = session
        .call("zendesk_update_organization", Value::Object(args))
        .await?;
    if update.json {
        common::print_json(&output);
    } else {
        println!(
            "Updated organization #{}:",
            common::cell(&output["organization_id"])
        );
        print_organization(&output["organization"]);
    }
    Ok(())
}

async fn delete_organization(session: &Session, id: String, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call(
            "zendesk_delete_organization",
            json!({ "organizationId": id }),
        )
        .await?;
    if json {
        common::print_json(&output);
    } else {
        println!(
            "Deleted organization #{}",
            common::cell(&output["organization_id"])
        );
    }
    Ok(())
}
