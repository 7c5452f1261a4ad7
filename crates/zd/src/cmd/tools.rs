//! `zd tools`: list the registry (a readable table, or `--json` in the shape of
//! `spec/tools.json`) and call any tool by id with `--param name=value` / `--params JSON`,
//! printing the tool's result JSON. Exit codes: 0 the tool succeeded, 1 the tool failed,
//! 2 a usage error (unknown tool, bad `--param`, unknown param name).

use std::process::ExitCode;

use serde_json::{Map, Value};
use zendesk_tools::{CallContext, FilledBy, Tool, registry};

use crate::cmd::common;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List every tool with its params.
    List {
        /// Print `{"tools": [...]}` in the shape of spec/tools.json.
        #[arg(long)]
        json: bool,
    },
    /// Call one tool and print its result JSON on stdout.
    Call {
        /// The tool id, e.g. zendesk_get_ticket (see `zd tools list`).
        tool: String,
        /// A param as NAME=VALUE (repeatable), e.g. --param ticketId=42.
        #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
        param: Vec<String>,
        /// Params as one JSON object, e.g. --params '{"ticketId": "42"}'; --param entries win.
        #[arg(long = "params", value_name = "JSON")]
        params: Option<String>,
        /// The directory zendesk_upload_attachment may read files from.
        #[arg(long, value_name = "DIR", env = "ZD_ATTACHMENTS_DIR")]
        attachments_dir: Option<std::path::PathBuf>,
    },
}

pub async fn run(args: Args) -> ExitCode {
    match args.command {
        Command::List { json } => {
            if json {
                common::print_json(&registry().to_json());
            } else {
                print_table();
            }
            ExitCode::SUCCESS
        }
        Command::Call {
            tool,
            param,
            params,
            attachments_dir,
        } => call(&tool, &param, params.as_deref(), attachments_dir.as_deref()).await,
    }
}

fn print_table() {
    let tools = registry().tools();
    let width = tools.iter().map(|t| t.spec.id.len()).max().unwrap_or(0);
    for tool in tools {
        let spec = &tool.spec;
        let params: Vec<String> = spec
            .params
            .iter()
            .filter(|p| p.filled_by == FilledBy::Model)
            .map(|p| {
                if p.required {
                    p.name.to_owned()
                } else {
                    format!("[{}]", p.name)
                }
            })
            .collect();
        println!("{:width$}  {}", spec.id, spec.description);
        if !params.is_empty() {
            println!("{:width$}    params: {}", "", params.join(" "));
        }
    }
    println!(
        "\n{} tools. Credentials (email, apiToken, subdomain) come from the environment or the embedded sandbox.",
        tools.len()
    );
}

/// Finds the tool or explains, with the closest ids, why not.
pub(crate) fn find_tool(id: &str) -> Result<&'static Tool, String> {
    let wanted = id.trim();
    if let Some(tool) = registry().get(wanted) {
        return Ok(tool);
    }
    // Accept the id without its `zendesk_` prefix, as people type it.
    if let Some(tool) = registry().get(&format!("zendesk_{wanted}")) {
        return Ok(tool);
    }
    let needle = wanted.trim_start_matches("zendesk_").to_ascii_lowercase();
    let close: Vec<&str> = registry()
        .tools()
        .iter()
        .map(|t| t.spec.id)
        .filter(|tid| {
            needle
                .split('_')
                .filter(|w| w.len() > 2)
                .any(|w| tid.contains(w))
        })
        .collect();
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    };
    Err(format!(
        "unknown tool {wanted:?}{hint} (run `zd tools list` to see all {})",
        registry().tools().len()
    ))
}

/// Builds the arguments object from `--params` and `--param`, refusing bad syntax and names
/// the tool does not declare.
pub(crate) fn build_args(
    tool: &Tool,
    pairs: &[String],
    json: Option<&str>,
) -> Result<Map<String, Value>, String> {
    let mut args = match json {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(
                    "--params must be a JSON object such as '{\"ticketId\": \"42\"}'".into(),
                );
            }
            Err(error) => return Err(format!("--params is not valid JSON: {error}")),
        },
    };
    for pair in pairs {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(format!(
                "--param {pair:?} must be NAME=VALUE, e.g. --param ticketId=42"
            ));
        };
        args.insert(name.trim().to_owned(), Value::String(value.to_owned()));
    }
    let valid = tool.spec.param_names();
    for name in args.keys() {
        if !valid.contains(&name.as_str()) {
            return Err(format!(
                "{} has no param {name:?}; valid params are: {}",
                tool.spec.id,
                valid.join(", ")
            ));
        }
    }
    Ok(args)
}

async fn call(
    id: &str,
    pairs: &[String],
    json: Option<&str>,
    attachments_dir: Option<&std::path::Path>,
) -> ExitCode {
    let tool = match find_tool(id) {
        Ok(tool) => tool,
        Err(message) => return common::usage_error(&message),
    };
    let args = match build_args(tool, pairs, json) {
        Ok(args) => args,
        Err(message) => return common::usage_error(&message),
    };
    let attachments_dir = match common::attachments_dir(attachments_dir) {
        Ok(dir) => dir,
        Err(message) => return common::usage_error(&message),
    };
    // An explicit subdomain names the destination: no embedded sandbox then.
    let explicit = args
        .get("subdomain")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    let session = match common::Session::open(!explicit).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let progress = common::JobProgress::new();
    let ctx = CallContext {
        progress: Some(progress.callback()),
        attachments_dir,
        ..session.context()
    };
    let result = tool.call(Value::Object(args), &ctx).await;
    progress.finish();
    common::print_json(&result.to_json());
    session.close().await;
    if result.success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
