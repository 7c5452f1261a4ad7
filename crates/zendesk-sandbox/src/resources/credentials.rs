//! Credentials: the sandbox admin created on first start, API tokens, passwords, and how
//! secrets (these, and OAuth tokens, codes and client secrets) are kept. Only hashes are stored, and none can be checked without
//! the sandbox's key: tokens are HMAC-SHA256 under a key kept outside the database (a file
//! beside it, 0600), passwords argon2id. Hashes stored by an earlier sandbox (plain SHA-256,
//! salted SHA-256 passwords) still match; a password is re-hashed with argon2id when it next
//! signs in.

use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::SandboxError;
use crate::store::{Store, StoreError, TokenHash};

/// The sandbox's key for hashing tokens. `Debug` never shows it.
#[derive(Clone)]
pub struct Secrets {
    key: [u8; 32],
    /// The HMAC with the key already absorbed: a fingerprint then hashes the text alone (two
    /// SHA-256 blocks of four).
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

impl Secrets {
    /// A fresh key, for a database that lives only as long as this process.
    pub fn ephemeral() -> Secrets {
        let mut key = [0u8; 32];
        fill_random(&mut key);
        Secrets::with_key(key)
    }

    fn with_key(key: [u8; 32]) -> Secrets {
        let mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key size");
        Secrets { key, mac }
    }

    /// The key in `path`, created (0600) when missing.
    pub fn from_file(path: &Path) -> Result<Secrets, SandboxError> {
        let fail = |what: &str, e: std::io::Error| {
            SandboxError::Config(format!(
                "cannot {what} the sandbox key {}: {e}",
                path.display()
            ))
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let decoded = decode_hex(text.trim())
                    .filter(|k| k.len() == 32)
                    .ok_or_else(|| {
                        SandboxError::Config(format!(
                            "the sandbox key {} is not 64 hex digits; remove it to make a new one \
                         (tokens and passwords stored with it then stop working)",
                            path.display()
                        ))
                    })?;
                keep_private(path);
                let mut key = [0u8; 32];
                key.copy_from_slice(&decoded);
                Ok(Secrets::with_key(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secrets = Secrets::ephemeral();
                write_private(path, &hex(&secrets.key)).map_err(|e| fail("create", e))?;
                Ok(secrets)
            }
            Err(e) => Err(fail("read", e)),
        }
    }

    /// The key of a database shared by several processes (PostgreSQL), which may run on
    /// different machines and so share no file: with `ZD_SANDBOX_KEY_FILE` the key stays in
    /// that file (every process must be given the same one) and the database keeps only a
    /// check value, so a process with another key refuses to start instead of refusing every
    /// token; otherwise the first process stores a fresh key in the database (`sandbox_keys`)
    /// and every process uses it.
    pub async fn for_shared_database(store: &Store) -> Result<Secrets, SandboxError> {
        let fail = |e: StoreError| {
            SandboxError::Config(format!("cannot read the sandbox key: {}", e.detail))
        };
        if let Some(path) = std::env::var_os("ZD_SANDBOX_KEY_FILE").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            let secrets = Secrets::from_file(&path)?;
            let check = secrets.key_check();
            let stored = store
                .shared_setting("token_key_check", check.clone())
                .await
                .map_err(fail)?;
            if stored.is_some_and(|stored| stored != check) {
                return Err(SandboxError::Config(format!(
                    "the sandbox key {} is not the key this database's tokens were made with: \
                     give every sandbox on the database the same ZD_SANDBOX_KEY_FILE",
                    path.display()
                )));
            }
            return Ok(secrets);
        }
        let proposed = hex(&Secrets::ephemeral().key);
        let stored = store
            .shared_setting("token_key", proposed.clone())
            .await
            .map_err(fail)?
            .unwrap_or(proposed);
        let decoded = decode_hex(&stored)
            .filter(|k| k.len() == 32)
            .ok_or_else(|| {
                SandboxError::Config(
                    "the sandbox key stored in the database (sandbox_keys.token_key) is not 64 hex \
                     digits"
                        .into(),
                )
            })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&decoded);
        Ok(Secrets::with_key(key))
    }

    /// A value that tells keys apart without revealing them.
    fn key_check(&self) -> String {
        self.token_hash("zd-sandbox key check").keyed
    }

    /// Where the key of a database lives: `ZD_SANDBOX_KEY_FILE`, else beside a database file
    /// (`sandbox.db.key`); None for an in-memory database.
    pub fn path_for(database_file: Option<&Path>) -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("ZD_SANDBOX_KEY_FILE").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
        database_file.map(|db| {
            let mut name = db.as_os_str().to_owned();
            name.push(".key");
            PathBuf::from(name)
        })
    }

    /// A token's stored hash (and the plain SHA-256 an earlier sandbox stored).
    pub fn token_hash(&self, token: &str) -> TokenHash {
        TokenHash {
            keyed: self.fingerprint(token),
            legacy: hex(&Sha256::digest(token.as_bytes())),
        }
    }

    /// A keyed fingerprint of any text, never the text itself: a token's stored hash, and the
    /// key of a cached sign-in and of sign-in throttling. Made on every request (the sign-in
    /// cache is looked up by it), so it is the HMAC alone, written without `format!`, which
    /// cost twice the hashing (40,000 instructions a request).
    pub fn fingerprint(&self, text: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(text.as_bytes());
        let mut keyed = String::with_capacity(KEYED_PREFIX.len() + 64);
        keyed.push_str(KEYED_PREFIX);
        push_hex(&mut keyed, &mac.finalize().into_bytes());
        keyed
    }
}

/// What a keyed hash starts with (a plain SHA-256 of an earlier sandbox has no prefix).
const KEYED_PREFIX: &str = "hmac-sha256:";

fn fill_random(bytes: &mut [u8]) {
    if getrandom::getrandom(bytes).is_err() {
        for byte in bytes {
            *byte = fastrand::u8(..);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    push_hex(&mut text, bytes);
    text
}

/// Lowercase hex, two digits a byte.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Narrows a key file that others may read (a copy, a careless `chmod`) back to 0600: whoever
/// reads the key can check guessed tokens and passwords offline. Says so in the log, and warns
/// when the file cannot be narrowed (another owner's file).
fn keep_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return;
        }
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => tracing::warn!(
                "the sandbox key {} was readable by others (permissions {mode:o}); narrowed to 600",
                path.display()
            ),
            Err(error) => tracing::warn!(
                "the sandbox key {} is readable by others (permissions {mode:o}) and could not be \
                 narrowed to 600: {error}; run chmod 600 on it",
                path.display()
            ),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// An argon2id hash of a password (PHC string).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let hashed = SaltString::encode_b64(&salt).and_then(|salt| {
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    });
    // Hashing only fails on invalid parameters, which the defaults are not.
    hashed.unwrap_or_default()
}

/// How a password compares with its stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Wrong,
    Right,
    /// Right, but stored by an earlier sandbox: store [`hash_password`]'s instead.
    RightButOld,
}

/// Checks a password against a stored hash (argon2id, or an earlier sandbox's salted SHA-256).
pub fn check_password(password: &str, stored: &str) -> PasswordCheck {
    if stored.starts_with("$argon2") {
        let right = PasswordHash::new(stored).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        return if right {
            PasswordCheck::Right
        } else {
            PasswordCheck::Wrong
        };
    }
    let legacy = stored.split_once('$').is_some_and(|(salt, hash)| {
        hex(&Sha256::digest(format!("{salt}{password}").as_bytes())) == hash
    });
    if legacy {
        PasswordCheck::RightButOld
    } else {
        PasswordCheck::Wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::now;

    #[test]
    fn passwords_are_argon2id_and_old_hashes_still_match() {
        let stored = hash_password("correct horse");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert_eq!(
            check_password("correct horse", &stored),
            PasswordCheck::Right
        );
        assert_eq!(check_password("wrong", &stored), PasswordCheck::Wrong);
        // An earlier sandbox's salted SHA-256.
        let salt = "abcdefghijklmnop";
        let old = format!(
            "{salt}${}",
            hex(&Sha256::digest(format!("{salt}pw123").as_bytes()))
        );
        assert_eq!(check_password("pw123", &old), PasswordCheck::RightButOld);
        assert_eq!(check_password("pw124", &old), PasswordCheck::Wrong);
    }

    #[test]
    fn hashes_are_written_in_lowercase_hex() {
        let every_byte: Vec<u8> = (0..=255).collect();
        let by_format: String = every_byte.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&every_byte), by_format);
        // The plain SHA-256 an earlier sandbox stored ("abc", FIPS 180-2's example).
        assert_eq!(
            Secrets::ephemeral().token_hash("abc").legacy,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let secrets = Secrets::ephemeral();
        let keyed = secrets.token_hash("t").keyed;
        assert_eq!(keyed, secrets.fingerprint("t"));
        assert_eq!(keyed.len(), KEYED_PREFIX.len() + 64);
        assert!(keyed.starts_with("hmac-sha256:"));
        // The HMAC kept with its key absorbed answers as one keyed afresh, text after text.
        for text in ["t", "", "another token"] {
            let mut fresh = Hmac::<Sha256>::new_from_slice(&secrets.key).unwrap();
            fresh.update(text.as_bytes());
            let expected = format!("hmac-sha256:{}", hex(&fresh.finalize().into_bytes()));
            assert_eq!(secrets.fingerprint(text), expected);
        }
    }

    #[test]
    fn token_hashes_need_the_key_and_keys_persist() {
        let dir = std::env::temp_dir().join(format!("zd-key-{}-{}", std::process::id(), now()));
        let path = dir.join("sandbox.db.key");
        let first = Secrets::from_file(&path).unwrap();
        let again = Secrets::from_file(&path).unwrap();
        assert_eq!(first.token_hash("t").keyed, again.token_hash("t").keyed);
        assert_ne!(
            first.token_hash("t").keyed,
            Secrets::ephemeral().token_hash("t").keyed
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&hex(&first.key)));
        let _ = std::fs::remove_dir_all(dir);
    }
}
