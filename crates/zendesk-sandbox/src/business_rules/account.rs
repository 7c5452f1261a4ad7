//! The account's business rules as a write meets them: the sandbox's time (the machine's plus
//! the clock's offset, shared by every process on the database), and the active triggers and
//! automations parsed once and kept until the rules' stamp changes (so an update on an account
//! with 100 triggers does not parse 100 triggers), with the webhooks they may call.
//!
//! What a rule may name is read here too ([`vocabulary`]): the custom ticket fields, the
//! groups, the agents and the active webhooks.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::effects::Account;
use super::rule::Rule;
use super::vocabulary::{CustomField, Named, RuleKind, Vocabulary};
use crate::store::{Bind, Filter, Reader, SandboxState, StoreError, Table};
use crate::webhooks::queue::{self, ActiveWebhook};

/// The account's id, as webhook payloads and headers name it.
pub const ACCOUNT_ID: i64 = 1;
/// The account's name (`{{ticket.account}}`).
pub const ACCOUNT_NAME: &str = "Sandbox";
/// The sandbox's address when no request names one (the demo seed): its default address.
pub const DEFAULT_ACCOUNT_URL: &str = "http://127.0.0.1:8080";

/// The most records of one kind a load reads (an account has far fewer).
const MOST: i64 = 100_000;

/// The active rules in force under one stamp, parsed.
pub struct LoadedRules {
    pub version: i64,
    /// Active triggers; their `position` is their place in the firing order (category by
    /// category in the categories' order, then those in no category, each by position).
    pub triggers: Vec<Rule>,
    /// Active automations.
    pub automations: Vec<Rule>,
    /// The active webhooks.
    pub webhooks: Vec<ActiveWebhook>,
}

/// Parsed rules kept between writes, shared by every request of a process.
#[derive(Clone, Default)]
pub struct RulesCache(Arc<Mutex<Option<Arc<LoadedRules>>>>);

impl RulesCache {
    /// The rules under `state`'s stamp: the kept ones, or read and parsed now.
    fn get(
        &self,
        tx: &mut dyn Reader,
        state: &SandboxState,
    ) -> Result<Arc<LoadedRules>, StoreError> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(loaded) = kept.filter(|l| l.version == state.rules_version) {
            return Ok(loaded);
        }
        let loaded = Arc::new(load(tx, state.rules_version)?);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }
}

/// The account a write happens in: its name and address (for placeholders) and the cache of
/// its parsed rules.
#[derive(Clone)]
pub struct AccountRules {
    pub account: Account,
    cache: RulesCache,
}

/// A write's moment: the sandbox's time, and the rules in force.
pub struct Moment {
    pub now: i64,
    pub rules: Arc<LoadedRules>,
}

impl AccountRules {
    /// The account at `url` (the sandbox's base address), with `cache`.
    pub fn new(url: &str, cache: RulesCache) -> AccountRules {
        AccountRules {
            account: Account {
                name: ACCOUNT_NAME.to_string(),
                url: url.trim_end_matches('/').to_string(),
            },
            cache,
        }
    }

    /// The sandbox's time and the rules in force, read at the start of a write.
    pub fn begin(&self, tx: &mut dyn Reader) -> Result<Moment, StoreError> {
        let state = tx.sandbox_state()?;
        Ok(Moment {
            now: sandbox_now(&state),
            rules: self.cache.get(tx, &state)?,
        })
    }

    /// The rules in force, for a write stamped `at` (an hourly pass runs at its own hour).
    pub fn begin_at(&self, tx: &mut dyn Reader, at: i64) -> Result<Moment, StoreError> {
        let state = tx.sandbox_state()?;
        Ok(Moment {
            now: at,
            rules: self.cache.get(tx, &state)?,
        })
    }
}

/// The sandbox's time: the machine's plus the clock's offset.
pub fn sandbox_now(state: &SandboxState) -> i64 {
    crate::util::now() + state.clock_offset
}

/// Reads and parses the active rules. A stored rule that no longer parses (it was saved by an
/// older sandbox) is left out, and said so in the log, rather than stopping every write.
fn load(tx: &mut dyn Reader, version: i64) -> Result<LoadedRules, StoreError> {
    let webhooks = queue::active_webhooks(tx)?;
    let vocabulary = Vocabulary {
        custom_fields: custom_fields(tx)?,
        webhooks: webhooks.iter().map(ActiveWebhook::target).collect(),
        ..Vocabulary::default()
    };
    let active = [Filter::Eq("active", Bind::Int(1))];
    let parse = |kind: RuleKind, records: Vec<Value>| -> Vec<Rule> {
        records
            .iter()
            .filter_map(|record| match Rule::load(kind, record, &vocabulary) {
                Ok(rule) => Some(rule),
                Err(error) => {
                    tracing::warn!(kind = kind.noun(), id = %record["id"], %error, "a stored rule does not parse; it does not run");
                    None
                }
            })
            .collect()
    };
    let mut triggers = parse(RuleKind::Trigger, tx.find(Table::Triggers, &active, MOST)?);
    let automations = parse(
        RuleKind::Automation,
        tx.find(Table::Automations, &active, MOST)?,
    );
    let categories: Vec<(String, i64)> = tx
        .find(Table::TriggerCategories, &[], MOST)?
        .iter()
        .map(|c| (c["id"].to_string(), c["position"].as_i64().unwrap_or(0)))
        .collect();
    let category_place = |rule: &Rule| -> (i64, i64) {
        let position = rule
            .definition
            .category_id
            .as_ref()
            .and_then(|id| categories.iter().find(|(c, _)| c == id))
            .map(|(_, position)| *position);
        // Triggers in a category fire first, category by category; then the rest.
        (position.map_or(1, |_| 0), position.unwrap_or(0))
    };
    triggers.sort_by_key(|r| {
        (
            category_place(r),
            r.definition.position.unwrap_or(i64::MAX),
            r.id,
        )
    });
    for (rank, rule) in triggers.iter_mut().enumerate() {
        rule.definition.position = Some(rank as i64);
    }
    Ok(LoadedRules {
        version,
        triggers,
        automations,
        webhooks,
    })
}

/// The custom ticket fields rules may name.
fn custom_fields(tx: &mut dyn Reader) -> Result<Vec<CustomField>, StoreError> {
    Ok(tx
        .find(
            Table::TicketFields,
            &[Filter::Live(Table::TicketFields)],
            MOST,
        )?
        .iter()
        .filter_map(CustomField::from_record)
        .collect())
}

/// Everything a rule being saved may name, and `GET /triggers/definitions` lists: the custom
/// ticket fields, the groups, the agents and the active webhooks.
pub fn vocabulary(tx: &mut dyn Reader) -> Result<Vocabulary, StoreError> {
    let named = |records: Vec<Value>| -> Vec<Named> {
        records
            .iter()
            .filter_map(|r| {
                Some(Named {
                    id: r["id"].as_i64()?,
                    name: r["name"].as_str().unwrap_or_default().to_string(),
                })
            })
            .collect()
    };
    let groups = named(tx.find(Table::Groups, &[Filter::Live(Table::Groups)], MOST)?);
    let agents = named(tx.find(
        Table::Users,
        &[Filter::In(
            "role",
            vec![Bind::from("agent"), Bind::from("admin")],
        )],
        MOST,
    )?);
    let webhooks = queue::active_webhooks(tx)?;
    Ok(Vocabulary {
        custom_fields: custom_fields(tx)?,
        groups,
        agents,
        webhooks: webhooks.iter().map(ActiveWebhook::target).collect(),
    })
}
