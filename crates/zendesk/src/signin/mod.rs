//! Stored sign-ins: the OAuth accounts `zd auth login` signed in to, kept side by side (keyed by
//! the account URL, `https://acme.zendesk.com`) with the one in use marked current.
//!
//! Everything lives in `accounts.json` in the config directory (`$ZD_CONFIG_DIR`, else
//! `$XDG_CONFIG_HOME/zd`, else `~/.config/zd`; `%APPDATA%\zd` on Windows): who signed in, the
//! client id, scopes, expiries. The secrets (access token, refresh token, client secret) go to
//! the OS keyring when there is one ([`keyring`]), and then the file holds none of them;
//! otherwise they sit in the same file. The file is created with mode 0600 (in a 0700
//! directory), replaced atomically (write a new 0600 file, then rename), and never widened.
//! `accounts.lock` beside it serializes writers and token refreshes across processes.

pub mod keyring;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::oauth::{
    OAuthApp, OAuthClient, OAuthEndpoints, StoreError, StoreGuard, TokenLifetimes, TokenSet,
    TokenSource, TokenStore,
};
pub use keyring::{SecretStore, SecretTool, default_keyring};

const FILE_NAME: &str = "accounts.json";
const LOCK_NAME: &str = "accounts.lock";
const FORMAT_VERSION: u32 = 1;

/// The config directory (see the module doc); `None` when no variable names one.
pub fn config_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("ZD_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(dir).join("zd"));
    }
    if cfg!(windows)
        && let Some(dir) = var("APPDATA")
    {
        return Some(PathBuf::from(dir).join("zd"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".config").join("zd"))
}

/// Who signed in, as `/api/v2/users/me` answered at sign-in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// The user's id.
    pub id: u64,
    /// The user's name.
    #[serde(default)]
    pub name: String,
    /// The user's email.
    #[serde(default)]
    pub email: String,
    /// `end-user`, `agent` or `admin`.
    #[serde(default)]
    pub role: String,
}

/// One stored sign-in, without its secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account URL (`https://acme.zendesk.com`, or a sandbox's `http://127.0.0.1:8080`).
    pub account: String,
    /// The OAuth client's unique identifier.
    pub client_id: String,
    /// Whether the OAuth client is confidential (has a secret).
    #[serde(default)]
    pub confidential: bool,
    /// Who signed in.
    #[serde(default)]
    pub user: Option<SignedInUser>,
    /// The granted scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// When the access token expires (Unix seconds), as of the last refresh.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// When the refresh token expires (Unix seconds).
    #[serde(default)]
    pub refresh_token_expires_at: Option<u64>,
    /// Lifetimes asked for at every grant (seconds).
    #[serde(default)]
    pub access_token_lifetime: Option<u64>,
    /// Refresh token lifetime asked for (seconds).
    #[serde(default)]
    pub refresh_token_lifetime: Option<u64>,
    /// When the user signed in (Unix seconds).
    #[serde(default)]
    pub signed_in_at: u64,
    /// Where the secrets are: `file`, or the keyring's name.
    pub secrets_in: String,
}

impl Account {
    /// The endpoints of this account.
    pub fn endpoints(&self) -> Result<OAuthEndpoints> {
        OAuthEndpoints::for_base_url(&self.account)
    }

    fn lifetimes(&self) -> TokenLifetimes {
        TokenLifetimes {
            access: self.access_token_lifetime,
            refresh: self.refresh_token_lifetime,
        }
    }
}

/// The secrets of one sign-in, as kept in the keyring entry or the file. Plain strings only
/// between reading and wrapping them; no `Debug`.
#[derive(Serialize, Deserialize)]
struct Secrets {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token_expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_at: Option<u64>,
}

impl Secrets {
    fn new(tokens: &TokenSet, client_secret: Option<&SecretString>) -> Self {
        Self {
            access_token: tokens.access_token.expose_secret().to_owned(),
            refresh_token: tokens
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            client_secret: client_secret.map(|s| s.expose_secret().to_owned()),
            expires_at: tokens.expires_at,
            refresh_token_expires_at: tokens.refresh_token_expires_at,
            scope: tokens.scope.clone(),
            issued_at: tokens.issued_at,
        }
    }

    fn tokens(&self) -> TokenSet {
        TokenSet {
            access_token: SecretString::from(self.access_token.clone()),
            refresh_token: self.refresh_token.clone().map(SecretString::from),
            token_type: "bearer".into(),
            scope: self.scope.clone(),
            expires_at: self.expires_at,
            refresh_token_expires_at: self.refresh_token_expires_at,
            issued_at: self.issued_at,
        }
    }

    fn client_secret(&self) -> Option<SecretString> {
        self.client_secret.clone().map(SecretString::from)
    }

    fn to_secret(&self) -> std::result::Result<SecretString, StoreError> {
        serde_json::to_string(self)
            .map(SecretString::from)
            .map_err(|e| StoreError(format!("cannot encode the sign-in: {e}")))
    }

    fn from_secret(secret: &SecretString) -> std::result::Result<Self, StoreError> {
        serde_json::from_str(secret.expose_secret())
            .map_err(|_| StoreError("the keyring entry of this sign-in is not readable".into()))
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    account: Account,
    /// Only when `secrets_in == "file"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secrets: Option<Secrets>,
}

#[derive(Serialize, Deserialize)]
struct FileData {
    version: u32,
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    accounts: BTreeMap<String, Entry>,
}

impl Default for FileData {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            current: None,
            accounts: BTreeMap::new(),
        }
    }
}

/// The stored sign-ins without their secrets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accounts {
    /// The account in use when none is named.
    pub current: Option<String>,
    /// Every stored sign-in, by account URL.
    pub accounts: BTreeMap<String, Account>,
}

impl Accounts {
    /// The current account's sign-in.
    pub fn current(&self) -> Option<&Account> {
        self.current.as_ref().and_then(|key| self.accounts.get(key))
    }

    /// The sign-in for an account URL (`https://acme.zendesk.com`, trailing `/` or `/api/v2`
    /// ignored).
    pub fn get(&self, account: &str) -> Option<&Account> {
        let key = account_key(account);
        self.accounts.get(&key)
    }
}

/// `https://acme.zendesk.com` from `https://acme.zendesk.com/`, `.../api/v2`, any case of host.
pub fn account_key(account: &str) -> String {
    OAuthEndpoints::for_base_url(account)
        .map(|e| e.account())
        .unwrap_or_else(|_| account.trim().trim_end_matches('/').to_owned())
}

/// The sign-in store: a directory and, optionally, a keyring for the secrets.
#[derive(Clone)]
pub struct SignInStore {
    dir: PathBuf,
    keyring: Option<Arc<dyn SecretStore>>,
}

impl std::fmt::Debug for SignInStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInStore")
            .field("dir", &self.dir)
            .field("keyring", &self.keyring.as_ref().map(|k| k.name()))
            .finish()
    }
}

fn io_error(what: &str, path: &Path, error: std::io::Error) -> StoreError {
    StoreError(format!("cannot {what} {}: {error}", path.display()))
}

impl SignInStore {
    /// The store in the config directory with this machine's keyring (see [`keyring`]).
    pub fn open_default() -> std::result::Result<Self, StoreError> {
        let dir = config_dir().ok_or_else(|| {
            StoreError("no config directory: set ZD_CONFIG_DIR, XDG_CONFIG_HOME or HOME".into())
        })?;
        Ok(Self::new(dir, default_keyring()))
    }

    /// A store in `dir`, with secrets in `keyring` (or in the file when `None`).
    pub fn new(dir: impl Into<PathBuf>, keyring: Option<Arc<dyn SecretStore>>) -> Self {
        Self {
            dir: dir.into(),
            keyring,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `accounts.json`.
    pub fn file(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The keyring's name, when secrets go to one.
    pub fn keyring_name(&self) -> Option<&'static str> {
        self.keyring.as_ref().map(|k| k.name())
    }

    /// The stored sign-ins (no secrets). A missing file is no sign-in.
    pub fn accounts(&self) -> std::result::Result<Accounts, StoreError> {
        let data = self.read()?;
        Ok(Accounts {
            current: data.current,
            accounts: data
                .accounts
                .into_iter()
                .map(|(key, entry)| (key, entry.account))
                .collect(),
        })
    }

    /// Stores a new sign-in (replacing any for the same account) and, with `make_current`,
    /// makes it the current one. `account.secrets_in` is set here.
    pub fn save_sign_in(
        &self,
        mut account: Account,
        tokens: &TokenSet,
        client_secret: Option<&SecretString>,
        make_current: bool,
    ) -> std::result::Result<Account, StoreError> {
        let _lock = self.lock()?;
        let mut data = self.read()?;
        account.account = account_key(&account.account);
        account.scope = tokens.scope.clone().or(account.scope);
        account.expires_at = tokens.expires_at;
        account.refresh_token_expires_at = tokens.refresh_token_expires_at;
        account.confidential = client_secret.is_some();
        let secrets = Secrets::new(tokens, client_secret);
        let key = account.account.clone();
        let (secrets_in, in_file) = match &self.keyring {
            Some(keyring) => match keyring.set(&key, &secrets.to_secret()?) {
                Ok(()) => (keyring.name().to_owned(), None),
                Err(error) => {
                    tracing::warn!(%error, "the keyring refused the sign-in; keeping it in the private file");
                    ("file".to_owned(), Some(secrets))
                }
            },
            None => ("file".to_owned(), Some(secrets)),
        };
        account.secrets_in = secrets_in;
        let was_in_keyring = data
            .accounts
            .get(&key)
            .is_some_and(|old| old.account.secrets_in != "file");
        if was_in_keyring
            && in_file.is_some()
            && let Some(keyring) = &self.keyring
        {
            // The new sign-in went to the file: leave no stale copy in the keyring.
            let _ = keyring.delete(&key);
        }
        data.accounts.insert(
            key.clone(),
            Entry {
                account: account.clone(),
                secrets: in_file,
            },
        );
        if make_current || data.current.is_none() {
            data.current = Some(key);
        }
        self.write(&data)?;
        Ok(account)
    }

    /// Makes `account` the current sign-in.
    pub fn set_current(&self, account: &str) -> std::result::Result<(), StoreError> {
        let _lock = self.lock()?;
        let mut data = self.read()?;
        let key = account_key(account);
        if !data.accounts.contains_key(&key) {
            return Err(StoreError(format!(
                "no stored sign-in for {key}; the stored ones are: {}",
                names(&data)
            )));
        }
        data.current = Some(key);
        self.write(&data)
    }

    /// Forgets a sign-in (its keyring entry too). Returns whether there was one. When it was
    /// the current one, another stored sign-in (if any) becomes current.
    pub fn forget(&self, account: &str) -> std::result::Result<bool, StoreError> {
        let _lock = self.lock()?;
        let mut data = self.read()?;
        let key = account_key(account);
        let Some(entry) = data.accounts.remove(&key) else {
            return Ok(false);
        };
        if data.current.as_deref() == Some(key.as_str()) {
            data.current = data.accounts.keys().next().cloned();
        }
        // The file first: once it no longer names the sign-in, nothing will use the secrets.
        self.write(&data)?;
        if entry.account.secrets_in != "file"
            && let Some(keyring) = &self.keyring
        {
            keyring.delete(&key)?;
        }
        Ok(true)
    }

    /// The tokens and client secret of a sign-in, wherever they are kept.
    fn secrets(
        &self,
        data: &FileData,
        key: &str,
    ) -> std::result::Result<Option<Secrets>, StoreError> {
        let Some(entry) = data.accounts.get(key) else {
            return Ok(None);
        };
        if entry.account.secrets_in == "file" {
            return entry
                .secrets
                .as_ref()
                .map(|s| Ok(s.clone_plain()))
                .transpose();
        }
        let keyring = self.keyring.as_ref().ok_or_else(|| {
            StoreError(format!(
                "the sign-in for {key} is kept in the {}, which is not available here (ZD_KEYRING?); sign in again",
                entry.account.secrets_in
            ))
        })?;
        match keyring.get(key)? {
            Some(secret) => Secrets::from_secret(&secret).map(Some),
            None => Err(StoreError(format!(
                "the {} has no entry for {key}; sign in again",
                keyring.name()
            ))),
        }
    }

    /// The current tokens of a sign-in.
    pub fn tokens(&self, account: &str) -> std::result::Result<Option<TokenSet>, StoreError> {
        let data = self.read()?;
        Ok(self
            .secrets(&data, &account_key(account))?
            .map(|s| s.tokens()))
    }

    /// A [`TokenSource`] for a stored sign-in: it refreshes through the account's token
    /// endpoint with the stored client id (and secret), and stores each rotation here.
    pub fn token_source(&self, account: &str) -> Result<TokenSource> {
        let store_error = |e: StoreError| crate::Error::OAuth {
            operation: "reading the stored sign-in",
            status: None,
            code: Some("token_store".into()),
            message: e.0,
        };
        let key = account_key(account);
        let data = self.read().map_err(store_error)?;
        let (Some(entry), Some(secrets)) = (
            data.accounts.get(&key),
            self.secrets(&data, &key).map_err(store_error)?,
        ) else {
            return Err(crate::Error::OAuth {
                operation: "reading the stored sign-in",
                status: None,
                code: Some("signed_out".into()),
                message: format!("there is no stored sign-in for {key}; sign in first"),
            });
        };
        let app = OAuthApp {
            client_id: entry.account.client_id.clone(),
            client_secret: secrets.client_secret(),
        };
        let oauth = OAuthClient::new(entry.account.endpoints()?, app)?
            .with_lifetimes(entry.account.lifetimes());
        Ok(
            TokenSource::new(oauth, secrets.tokens())?.with_store(Arc::new(AccountTokens {
                store: self.clone(),
                key,
            })),
        )
    }

    // ----- files ---------------------------------------------------------------------------

    fn ensure_dir(&self) -> std::result::Result<(), StoreError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .map_err(|e| io_error("create the config directory", &self.dir, e))
    }

    /// An exclusive lock on `accounts.lock`, across processes.
    fn lock(&self) -> std::result::Result<File, StoreError> {
        self.ensure_dir()?;
        let path = self.dir.join(LOCK_NAME);
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error("open", &path, e))?;
        file.lock().map_err(|e| io_error("lock", &path, e))?;
        Ok(file)
    }

    fn read(&self) -> std::result::Result<FileData, StoreError> {
        let path = self.file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileData::default()),
            Err(e) => return Err(io_error("read", &path, e)),
        };
        tighten(&path);
        // Only the position of a parse error: serde's text can quote a value, and values
        // here can be tokens.
        let data: FileData = serde_json::from_str(&text).map_err(|e| {
            StoreError(format!(
                "{} is not a zd accounts file (unreadable at line {}, column {}); fix it or \
                 delete it and sign in again",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        if data.version != FORMAT_VERSION {
            return Err(StoreError(format!(
                "{} has format version {}, this zd reads {FORMAT_VERSION}",
                path.display(),
                data.version
            )));
        }
        Ok(data)
    }

    /// Replaces the file atomically: a new 0600 file beside it, synced, renamed over it.
    fn write(&self, data: &FileData) -> std::result::Result<(), StoreError> {
        self.ensure_dir()?;
        let path = self.file();
        let text = serde_json::to_string_pretty(data)
            .map_err(|e| StoreError(format!("cannot encode the accounts file: {e}")))?;
        let temp = self.dir.join(format!(
            ".{FILE_NAME}.{}.{}",
            std::process::id(),
            crate::oauth::random_suffix()
        ));
        let written = (|| {
            let mut file = private_options().write(true).create_new(true).open(&temp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)?;
            // The rename itself is durable once the directory is synced.
            #[cfg(unix)]
            if let Ok(dir) = File::open(&self.dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(io_error("write", &path, error));
        }
        Ok(())
    }
}

impl Secrets {
    fn clone_plain(&self) -> Secrets {
        Secrets {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            client_secret: self.client_secret.clone(),
            expires_at: self.expires_at,
            refresh_token_expires_at: self.refresh_token_expires_at,
            scope: self.scope.clone(),
            issued_at: self.issued_at,
        }
    }
}

fn names(data: &FileData) -> String {
    if data.accounts.is_empty() {
        "none".into()
    } else {
        data.accounts.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Files readable and writable by the owner only, from the moment they exist.
fn private_options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Narrows a file someone widened back to 0600 (never the other way).
fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the accounts file was readable by others; making it private again");
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The [`TokenStore`] of one stored sign-in, for its [`TokenSource`].
struct AccountTokens {
    store: SignInStore,
    key: String,
}

impl TokenStore for AccountTokens {
    fn lock(&self) -> std::result::Result<StoreGuard, StoreError> {
        Ok(Box::new(self.store.lock()?))
    }

    fn load(&self) -> std::result::Result<Option<TokenSet>, StoreError> {
        let data = self.store.read()?;
        Ok(self.store.secrets(&data, &self.key)?.map(|s| s.tokens()))
    }

    /// Called with the lock held (see [`TokenStore`]).
    fn save(&self, tokens: &TokenSet) -> std::result::Result<(), StoreError> {
        let mut data = self.store.read()?;
        let client_secret = self
            .store
            .secrets(&data, &self.key)?
            .and_then(|s| s.client_secret());
        let Some(entry) = data.accounts.get_mut(&self.key) else {
            return Err(StoreError(format!(
                "the sign-in for {} was removed meanwhile",
                self.key
            )));
        };
        let secrets = Secrets::new(tokens, client_secret.as_ref());
        if entry.account.secrets_in == "file" {
            entry.secrets = Some(secrets);
        } else {
            let keyring = self.store.keyring.as_ref().ok_or_else(|| {
                StoreError("the keyring holding this sign-in is not available".into())
            })?;
            // The keyring entry is replaced in one call: the new refresh token is stored
            // before anything uses the new access token.
            keyring.set(&self.key, &secrets.to_secret()?)?;
        }
        entry.account.expires_at = tokens.expires_at;
        entry.account.refresh_token_expires_at = tokens.refresh_token_expires_at;
        if tokens.scope.is_some() {
            entry.account.scope = tokens.scope.clone();
        }
        self.store.write(&data)
    }
}
