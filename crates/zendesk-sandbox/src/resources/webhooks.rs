//! What `/api/v2/webhooks` does to the account's webhooks: create (or clone), update (a whole
//! record, or a JSON merge patch), delete (with its queued deliveries and its invocation log),
//! and the signing secret's show and reset. A webhook is checked by `webhooks::definition`; it
//! is answered with `id` (a ULID) first, its own fields without any secret, and who made and
//! last changed it when.

use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Reader, WebhookColumns, WebhookRow, Writer};
use crate::util::{iso, now};
use crate::webhooks::definition::{SigningSecret, Subscriptions, Webhook, WebhookError};
use crate::webhooks::ids::{is_ulid, new_ulid};

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> ApiError {
        ApiError::BadInput(error.body())
    }
}

/// A webhook's stored row, or 404 (an id that is not a ULID names nothing).
pub fn row(reader: &mut dyn Reader, id: &str) -> Result<WebhookRow, ApiError> {
    if !is_ulid(id) {
        return Err(ApiError::NotFound);
    }
    reader.webhook(id)?.ok_or(ApiError::NotFound)
}

/// A stored webhook, checked again.
pub fn load(row: &WebhookRow) -> Result<Webhook, ApiError> {
    Webhook::from_stored(&row.record).map_err(|error| {
        ApiError::Internal(format!("stored webhook {} does not read: {error}", row.id))
    })
}

/// The webhook as answered: `id`, its fields (no secret), then `created_at`, `created_by`,
/// `updated_at`, `updated_by` (user ids as strings, as Zendesk's).
pub fn served(row: &WebhookRow) -> Result<Value, ApiError> {
    let webhook = load(row)?;
    let mut out = Map::new();
    out.insert("id".into(), json!(row.id));
    out.extend(webhook.public_fields());
    out.insert("created_at".into(), json!(iso(row.created_at)));
    out.insert("created_by".into(), json!(row.created_by.to_string()));
    out.insert("updated_at".into(), json!(iso(row.updated_at)));
    out.insert("updated_by".into(), json!(row.updated_by.to_string()));
    Ok(Value::Object(out))
}

fn columns(webhook: &Webhook) -> WebhookColumns<'_> {
    WebhookColumns {
        name: &webhook.name,
        status: webhook.status.as_str(),
        conditional: webhook.subscriptions == Subscriptions::Conditional,
    }
}

fn fresh_secret() -> Result<SigningSecret, ApiError> {
    SigningSecret::generate()
        .map_err(|error| ApiError::Internal(format!("the OS random generator failed: {error}")))
}

fn insert(tx: &mut dyn Writer, caller: &Caller, webhook: &Webhook) -> Result<Value, ApiError> {
    let at = now();
    let row = WebhookRow {
        id: new_ulid(),
        record: Value::Object(webhook.stored_fields()),
        signing_secret: fresh_secret()?.expose().to_string(),
        created_at: at,
        created_by: caller.id,
        updated_at: at,
        updated_by: caller.id,
    };
    tx.insert_webhook(&row, columns(webhook))?;
    // Ticket writes keep the active webhooks in the rules cache: a change here moves its stamp.
    tx.bump_rules_version()?;
    served(&row)
}

/// `POST /webhooks` with `{"webhook": {...}}`: a new webhook with its own signing secret.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let webhook = Webhook::parse_new(input)?;
    insert(tx, caller, &webhook)
}

/// `POST /webhooks?clone_webhook_id=`: a new webhook made as the source is (its authentication
/// secret included), with what `overrides` sends changed; it gets a signing secret of its own.
pub fn clone(
    tx: &mut dyn Writer,
    caller: &Caller,
    source: &str,
    overrides: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let stored = load(&row(tx, source)?)?;
    let mut fields = stored.stored_fields();
    for (key, value) in overrides {
        fields.insert(key.clone(), value.clone());
    }
    // The clone is a new webhook: it may be connected either way.
    let webhook = Webhook::parse_new(&fields)?;
    insert(tx, caller, &webhook)
}

/// `PUT /webhooks/{id}` (each field sent replaces the stored one) or, with `merge_patch`,
/// `PATCH` (RFC 7396: objects merge, `null` removes). Secrets left out are kept.
pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: &str,
    input: &Map<String, Value>,
    merge_patch: bool,
) -> Result<(), ApiError> {
    let stored = load(&row(tx, id)?)?;
    let updated = if merge_patch {
        Webhook::parse_patch(&stored, input)?
    } else {
        Webhook::parse_update(&stored, input)?
    };
    tx.update_webhook(
        id,
        &Value::Object(updated.stored_fields()),
        columns(&updated),
        now(),
        caller.id,
    )?;
    // Ticket writes keep the active webhooks in the rules cache: a change here moves its stamp.
    tx.bump_rules_version()?;
    Ok(())
}

/// `DELETE /webhooks/{id}`: the webhook, what was queued for it and its invocation log.
pub fn delete(tx: &mut dyn Writer, id: &str) -> Result<(), ApiError> {
    row(tx, id)?;
    tx.delete_webhook(id)?;
    // Ticket writes keep the active webhooks in the rules cache: a change here moves its stamp.
    tx.bump_rules_version()?;
    Ok(())
}

/// `GET /webhooks/{id}/signing_secret`.
pub fn signing_secret(reader: &mut dyn Reader, id: &str) -> Result<SigningSecret, ApiError> {
    Ok(SigningSecret::from_stored(row(reader, id)?.signing_secret))
}

/// `POST /webhooks/{id}/signing_secret`: a new secret; deliveries from now on are signed with
/// it (attempts already under way keep the one they were signed with).
pub fn reset_signing_secret(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: &str,
) -> Result<SigningSecret, ApiError> {
    row(tx, id)?;
    let secret = fresh_secret()?;
    tx.set_signing_secret(id, secret.expose(), now(), caller.id)?;
    // Ticket writes keep the active webhooks in the rules cache: a change here moves its stamp.
    tx.bump_rules_version()?;
    Ok(secret)
}
