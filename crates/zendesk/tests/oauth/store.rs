//! Stored sign-ins: the private file (0600, atomic replace), the keyring through the
//! `SecretStore` trait (a fake one here: with it the file holds no secret), several accounts
//! side by side, rotation persisted through a stored sign-in's token source, and forgetting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use zendesk::oauth::{StoreError, TokenSet};
use zendesk::signin::{Account, SecretStore, SignInStore, SignedInUser};

use crate::fake;
use crate::{api_client, assert_hidden, secret_of, signed_in};

/// A keyring in memory.
#[derive(Default)]
struct FakeKeyring {
    entries: Mutex<HashMap<String, String>>,
}

impl SecretStore for FakeKeyring {
    fn name(&self) -> &'static str {
        "fake keyring"
    }
    fn get(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
        Ok(self
            .entries
            .lock()
            .unwrap()
            .get(key)
            .map(|s| SecretString::from(s.clone())))
    }
    fn set(&self, key: &str, secret: &SecretString) -> Result<(), StoreError> {
        self.entries
            .lock()
            .unwrap()
            .insert(key.to_owned(), secret.expose_secret().to_owned());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.entries.lock().unwrap().remove(key);
        Ok(())
    }
}

fn account(url: &str) -> Account {
    Account {
        account: url.to_owned(),
        client_id: fake::CLIENT_ID.into(),
        confidential: false,
        user: Some(SignedInUser {
            id: 7,
            name: "Ada Admin".into(),
            email: "ada@example.com".into(),
            role: "admin".into(),
        }),
        scope: None,
        expires_at: None,
        refresh_token_expires_at: None,
        access_token_lifetime: None,
        refresh_token_lifetime: None,
        signed_in_at: zendesk::oauth::now_unix(),
        secrets_in: String::new(),
    }
}

fn client_secret() -> SecretString {
    SecretString::from(fake::CLIENT_SECRET.to_owned())
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn without_a_keyring_the_secrets_sit_in_a_0600_file() {
    let fake = fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("zd");
    let store = SignInStore::new(&config, None);
    let tokens = signed_in(&fake, 3600);
    let (access, refresh) = secret_of(&tokens);
    let saved = store
        .save_sign_in(account(&fake.url), &tokens, Some(&client_secret()), true)
        .unwrap();
    assert_eq!(saved.secrets_in, "file");
    assert!(saved.confidential);
    #[cfg(unix)]
    {
        assert_eq!(mode(&store.file()), 0o600);
        assert_eq!(mode(&config), 0o700);
        assert_eq!(mode(&config.join("accounts.lock")), 0o600);
    }
    let text = std::fs::read_to_string(store.file()).unwrap();
    assert!(text.contains(&access), "the file is the secret store here");
    // Read back exactly.
    let back = store.tokens(&fake.url).unwrap().unwrap();
    assert_eq!(secret_of(&back), (access.clone(), refresh.clone()));
    // Rewrites keep 0600, and a file someone widened is narrowed again, never widened.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(store.file(), std::fs::Permissions::from_mode(0o644)).unwrap();
        store.accounts().unwrap();
        assert_eq!(mode(&store.file()), 0o600);
        store.set_current(&fake.url).unwrap();
        assert_eq!(mode(&store.file()), 0o600);
    }
    assert_hidden(
        &format!("{store:?} {:?}", store.accounts().unwrap()),
        &[&access, &refresh, fake::CLIENT_SECRET],
    );
    // A damaged file is refused without quoting it (values in it may be tokens).
    let damaged = std::fs::read_to_string(store.file())
        .unwrap()
        .replace("\"signed_in_at\"", "\"signed_in_at\": \"oops\", \"x\"");
    std::fs::write(store.file(), damaged).unwrap();
    let error = store.accounts().unwrap_err().to_string();
    assert!(error.contains("line"), "{error}");
    assert_hidden(&error, &[&access, &refresh, "oops"]);
}

#[tokio::test]
async fn with_a_keyring_the_file_holds_no_token_refresh_token_or_client_secret() {
    let fake = fake::start().await;
    *fake.state.secret.lock().unwrap() = Some(fake::CLIENT_SECRET.into());
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(FakeKeyring::default());
    let store = SignInStore::new(dir.path(), Some(keyring.clone()));
    let tokens = signed_in(&fake, 5); // refreshed at the first call
    let (access, refresh) = secret_of(&tokens);
    let saved = store
        .save_sign_in(account(&fake.url), &tokens, Some(&client_secret()), true)
        .unwrap();
    assert_eq!(saved.secrets_in, "fake keyring");
    let no_secret_in_file = |secrets: &[&str]| {
        let text = std::fs::read_to_string(store.file()).unwrap();
        assert_hidden(&text, secrets);
        assert!(
            !text.contains("\"access_token\"") && !text.contains("\"refresh_token\""),
            "{text}"
        );
    };
    no_secret_in_file(&[&access, &refresh, fake::CLIENT_SECRET]);
    assert_eq!(keyring.entries.lock().unwrap().len(), 1);

    // Refresh through the stored sign-in: the rotation lands in the keyring, the file only
    // learns the new expiry, and the client secret went along to the token endpoint.
    let source = store.token_source(&fake.url).unwrap();
    api_client(&fake, &source)
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap();
    assert_eq!(source.refresh_count(), 1);
    let (new_access, new_refresh) = secret_of(&source.tokens());
    let stored = store.tokens(&fake.url).unwrap().unwrap();
    assert_eq!(
        secret_of(&stored),
        (new_access.clone(), new_refresh.clone())
    );
    let bodies = fake.state.token_bodies.lock().unwrap().clone();
    assert_eq!(bodies.last().unwrap()["client_secret"], fake::CLIENT_SECRET);
    no_secret_in_file(&[
        &access,
        &refresh,
        &new_access,
        &new_refresh,
        fake::CLIENT_SECRET,
    ]);
    let listed = store.accounts().unwrap();
    assert!(listed.current().unwrap().expires_at.unwrap() > zendesk::oauth::now_unix() + 7000);

    // Forgetting removes the keyring entry and the file's record.
    assert!(store.forget(&fake.url).unwrap());
    assert!(keyring.entries.lock().unwrap().is_empty());
    assert!(store.accounts().unwrap().accounts.is_empty());
    assert!(!store.forget(&fake.url).unwrap());
}

#[tokio::test]
async fn several_accounts_side_by_side_with_one_current() {
    let fake = fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = SignInStore::new(dir.path(), None);
    let acme = "https://acme.zendesk.com";
    let beta = "https://Beta.zendesk.com/api/v2/";
    store
        .save_sign_in(account(acme), &signed_in(&fake, 3600), None, true)
        .unwrap();
    store
        .save_sign_in(account(beta), &signed_in(&fake, 3600), None, false)
        .unwrap();
    let accounts = store.accounts().unwrap();
    assert_eq!(accounts.accounts.len(), 2);
    assert_eq!(accounts.current.as_deref(), Some(acme));
    assert!(accounts.get("https://beta.zendesk.com").is_some());
    store.set_current("https://beta.zendesk.com/").unwrap();
    assert_eq!(
        store.accounts().unwrap().current.as_deref(),
        Some("https://beta.zendesk.com")
    );
    let unknown = store.set_current("https://other.zendesk.com").unwrap_err();
    assert!(unknown.to_string().contains("acme"), "{unknown}");
    // Forgetting the current one makes another current.
    store.forget("https://beta.zendesk.com").unwrap();
    assert_eq!(store.accounts().unwrap().current.as_deref(), Some(acme));
}

#[tokio::test]
async fn a_stored_sign_in_that_was_signed_out_is_not_brought_back_by_a_refresh() {
    let fake = fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = SignInStore::new(dir.path(), None);
    store
        .save_sign_in(account(&fake.url), &signed_in(&fake, 5), None, true)
        .unwrap();
    let source = store.token_source(&fake.url).unwrap();
    store.forget(&fake.url).unwrap();
    let error = source.access_token().await.unwrap_err();
    assert_eq!(error.code(), Some("signed_out"));
    assert!(store.accounts().unwrap().accounts.is_empty());
    let missing = store.token_source(&fake.url).unwrap_err();
    assert!(missing.to_string().contains("sign in"), "{missing}");
}

#[tokio::test]
async fn logout_revokes_at_the_server_and_forgets() {
    let fake = fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(FakeKeyring::default());
    let store = SignInStore::new(dir.path(), Some(keyring.clone()));
    let tokens: TokenSet = signed_in(&fake, 3600);
    let (access, _) = secret_of(&tokens);
    store
        .save_sign_in(account(&fake.url), &tokens, None, true)
        .unwrap();
    let source = store.token_source(&fake.url).unwrap();
    let client = api_client(&fake, &source);
    let revoked = client
        .delete("/oauth/tokens/current", zendesk::NO_QUERY)
        .await
        .unwrap();
    assert!(revoked.is_null());
    assert_eq!(
        fake.state.revoked.lock().unwrap().clone(),
        vec![access.clone()]
    );
    assert!(!fake.state.access_token_valid(&access));
    store.forget(&fake.url).unwrap();
    assert!(keyring.entries.lock().unwrap().is_empty());
    assert!(store.tokens(&fake.url).unwrap().is_none());
}

/// The Secret Service backend speaks `secret-tool`'s command line: here a stand-in script
/// that keeps entries in files and logs its arguments, to check the protocol (the secret on
/// stdin, never in the arguments) and the round trip. A real Secret Service is not needed.
#[cfg(unix)]
#[test]
fn the_secret_service_backend_passes_secrets_on_stdin_only() {
    use std::os::unix::fs::PermissionsExt;
    use zendesk::signin::SecretTool;

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("secret-tool");
    let entries = dir.path().join("entries");
    std::fs::create_dir(&entries).unwrap();
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
echo "$@" >> "{dir}/argv.log"
cmd="$1"; shift
[ "$cmd" = store ] && shift 2
key=$(echo "$4" | tr -c 'A-Za-z0-9' '_')
case "$cmd" in
  store) cat > "{entries}/$key" ;;
  lookup) [ -f "{entries}/$key" ] && cat "{entries}/$key" || exit 1 ;;
  clear) rm -f "{entries}/$key" ;;
esac
"#,
            dir = dir.path().display(),
            entries = entries.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();

    let keyring = SecretTool::new(&script);
    let key = "https://acme.zendesk.com";
    assert!(keyring.get(key).unwrap().is_none());
    keyring
        .set(key, &SecretString::from("s3cret-blob-VALUE".to_owned()))
        .unwrap();
    assert_eq!(
        keyring.get(key).unwrap().unwrap().expose_secret(),
        "s3cret-blob-VALUE"
    );
    keyring.delete(key).unwrap();
    assert!(keyring.get(key).unwrap().is_none());
    let argv = std::fs::read_to_string(dir.path().join("argv.log")).unwrap();
    assert!(
        argv.contains("service zd account https://acme.zendesk.com"),
        "{argv}"
    );
    assert!(!argv.contains("s3cret"), "{argv}");

    // Through the sign-in store: the file names the Secret Service and holds no secret.
    let store = SignInStore::new(
        dir.path().join("config"),
        Some(Arc::new(SecretTool::new(&script))),
    );
    let tokens = TokenSet::from_response(
        br#"{"access_token":"AT-in-keyring","refresh_token":"RT-in-keyring","expires_in":600}"#,
        zendesk::oauth::now_unix(),
    )
    .unwrap();
    let saved = store
        .save_sign_in(account(key), &tokens, None, true)
        .unwrap();
    assert_eq!(saved.secrets_in, "Secret Service");
    assert_hidden(
        &std::fs::read_to_string(store.file()).unwrap(),
        &["AT-in-keyring", "RT-in-keyring"],
    );
    let back = store.tokens(key).unwrap().unwrap();
    assert_eq!(back.access_token.expose_secret(), "AT-in-keyring");
    // A failing keyring: the sign-in falls back to the private file, with a note.
    let broken = SignInStore::new(
        dir.path().join("config2"),
        Some(Arc::new(SecretTool::new(dir.path().join("missing-tool")))),
    );
    let saved = broken
        .save_sign_in(account(key), &tokens, None, true)
        .unwrap();
    assert_eq!(saved.secrets_in, "file");
    assert_eq!(
        broken
            .tokens(key)
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        "AT-in-keyring"
    );
}

/// Two token sources on one stored sign-in, as two zd processes would have (each opens the
/// lock file itself): both find the token about to expire at once, yet the refresh token is
/// spent once; the second waits on `accounts.lock` and adopts what the first stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_sign_in_spend_the_refresh_token_once() {
    let fake = fake::start().await;
    *fake.state.refresh_delay.lock().unwrap() = std::time::Duration::from_millis(200);
    let dir = tempfile::tempdir().unwrap();
    let store = SignInStore::new(dir.path(), None);
    store
        .save_sign_in(account(&fake.url), &signed_in(&fake, 5), None, true)
        .unwrap();
    let first = store.token_source(&fake.url).unwrap();
    let second = SignInStore::new(dir.path(), None)
        .token_source(&fake.url)
        .unwrap();
    let (a, b) = tokio::join!(first.access_token(), second.access_token());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.expose_secret(), b.expose_secret());
    assert_eq!(
        fake.state
            .refreshes
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(first.refresh_count() + second.refresh_count(), 1);
    let stored = store.tokens(&fake.url).unwrap().unwrap();
    assert_eq!(stored.access_token.expose_secret(), a.expose_secret());
}
