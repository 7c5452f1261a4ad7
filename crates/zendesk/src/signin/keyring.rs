//! Where a sign-in's secrets go when not in the private file: the [`SecretStore`] trait and the
//! operating systems' keyrings behind it.
//!
//! Choice (dependency cost on a 2-core build machine weighed against what each keyring gives):
//! - macOS: the login Keychain through `security-framework`, already in the lock file for
//!   rustls' platform verifier (no new crate).
//! - Windows: Credential Manager through `windows-sys` (already in the lock file; plain FFI).
//! - Linux: the Secret Service (GNOME Keyring, KWallet) through its own command-line client,
//!   `secret-tool` (libsecret), when it is installed and a session bus is there: no D-Bus crate
//!   (libdbus needs C headers and a C build; zbus brings ~50 crates), the secret passes on
//!   stdin/stdout, never in arguments. Without it, the secrets stay in the 0600 file.
//!
//! `ZD_KEYRING=file` (or `none`) keeps secrets in the file everywhere; `ZD_KEYRING=secret-tool`
//! asks for the Secret Service even where the session bus cannot be seen from the environment.

use std::sync::Arc;

use secrecy::SecretString;

use crate::oauth::StoreError;

/// The keyring service name every entry is filed under.
pub const SERVICE: &str = "zd";

/// A place that keeps one secret per key (the key is the account URL), such as the OS keyring.
/// Implementations never log or return the secret in an error.
pub trait SecretStore: Send + Sync {
    /// A name for messages: `macOS Keychain`, `Windows Credential Manager`, `Secret Service`.
    fn name(&self) -> &'static str;
    /// The secret under `key`, or `None` when there is none.
    fn get(&self, key: &str) -> Result<Option<SecretString>, StoreError>;
    /// Stores `secret` under `key`, replacing what was there.
    fn set(&self, key: &str, secret: &SecretString) -> Result<(), StoreError>;
    /// Removes the secret under `key` (no error when there was none).
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// The keyring to use on this machine, per `ZD_KEYRING` and the platform (see the module doc);
/// `None` keeps the secrets in the private file.
pub fn default_keyring() -> Option<Arc<dyn SecretStore>> {
    let choice = std::env::var("ZD_KEYRING").unwrap_or_default();
    match choice.trim().to_ascii_lowercase().as_str() {
        "file" | "none" | "off" | "0" => return None,
        "secret-tool" | "secret-service" => {
            return Some(Arc::new(SecretTool::new("secret-tool")));
        }
        _ => {}
    }
    platform_keyring()
}

#[cfg(target_os = "macos")]
fn platform_keyring() -> Option<Arc<dyn SecretStore>> {
    Some(Arc::new(macos::Keychain))
}

#[cfg(windows)]
fn platform_keyring() -> Option<Arc<dyn SecretStore>> {
    Some(Arc::new(windows::CredentialManager))
}

#[cfg(not(any(target_os = "macos", windows)))]
fn platform_keyring() -> Option<Arc<dyn SecretStore>> {
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    (bus && on_path("secret-tool")).then(|| Arc::new(SecretTool::new("secret-tool")) as _)
}

#[cfg(not(any(target_os = "macos", windows)))]
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// The Secret Service through libsecret's `secret-tool`: `store` reads the secret on stdin,
/// `lookup` prints it on stdout, `clear` removes it. Entries carry the attributes
/// `service=zd account=<key>`.
pub struct SecretTool {
    program: std::path::PathBuf,
}

impl SecretTool {
    /// Uses `program` (normally `secret-tool` on the PATH).
    pub fn new(program: impl Into<std::path::PathBuf>) -> Self {
        Self {
            program: program.into(),
        }
    }

    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<std::process::Output, StoreError> {
        use std::io::Write as _;
        use std::process::{Command, Stdio};
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                StoreError(format!(
                    "cannot run {} for the Secret Service: {e}",
                    self.program.display()
                ))
            })?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(input)
                .map_err(|e| StoreError(format!("cannot hand the secret to secret-tool: {e}")))?;
        }
        child
            .wait_with_output()
            .map_err(|e| StoreError(format!("secret-tool did not finish: {e}")))
    }
}

fn stderr_line(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect()
}

impl SecretStore for SecretTool {
    fn name(&self) -> &'static str {
        "Secret Service"
    }

    fn get(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
        let output = self.run(&["lookup", "service", SERVICE, "account", key], None)?;
        if output.status.success() && !output.stdout.is_empty() {
            let text = String::from_utf8(output.stdout)
                .map_err(|_| StoreError("the Secret Service entry is not UTF-8".into()))?;
            return Ok(Some(SecretString::from(text)));
        }
        // `lookup` fails silently when there is no such entry, and says why otherwise.
        let why = stderr_line(&output);
        if why.is_empty() {
            Ok(None)
        } else {
            Err(StoreError(format!(
                "the Secret Service could not be read: {why}"
            )))
        }
    }

    fn set(&self, key: &str, secret: &SecretString) -> Result<(), StoreError> {
        use secrecy::ExposeSecret as _;
        let label = format!("zd sign-in for {key}");
        let output = self.run(
            &[
                "store", "--label", &label, "service", SERVICE, "account", key,
            ],
            Some(secret.expose_secret().as_bytes()),
        )?;
        if output.status.success() {
            Ok(())
        } else {
            Err(StoreError(format!(
                "the Secret Service refused to store the sign-in: {}",
                stderr_line(&output)
            )))
        }
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let output = self.run(&["clear", "service", SERVICE, "account", key], None)?;
        let why = stderr_line(&output);
        if output.status.success() || why.is_empty() {
            Ok(())
        } else {
            Err(StoreError(format!(
                "the Secret Service could not remove the sign-in: {why}"
            )))
        }
    }
}

#[cfg(target_os = "macos")]
mod macos {
    //! The login Keychain (generic passwords, service `zd`, account = the account URL).
    use secrecy::{ExposeSecret as _, SecretString};
    use security_framework::passwords;

    use super::{SERVICE, SecretStore};
    use crate::oauth::StoreError;

    /// errSecItemNotFound.
    const NOT_FOUND: i32 = -25300;

    pub struct Keychain;

    impl SecretStore for Keychain {
        fn name(&self) -> &'static str {
            "macOS Keychain"
        }

        fn get(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
            match passwords::get_generic_password(SERVICE, key) {
                Ok(bytes) => String::from_utf8(bytes)
                    .map(|text| Some(SecretString::from(text)))
                    .map_err(|_| StoreError("the Keychain entry is not UTF-8".into())),
                Err(error) if error.code() == NOT_FOUND => Ok(None),
                Err(error) => Err(StoreError(format!(
                    "the Keychain could not be read (status {})",
                    error.code()
                ))),
            }
        }

        fn set(&self, key: &str, secret: &SecretString) -> Result<(), StoreError> {
            passwords::set_generic_password(SERVICE, key, secret.expose_secret().as_bytes())
                .map_err(|error| {
                    StoreError(format!(
                        "the Keychain refused to store the sign-in (status {})",
                        error.code()
                    ))
                })
        }

        fn delete(&self, key: &str) -> Result<(), StoreError> {
            match passwords::delete_generic_password(SERVICE, key) {
                Ok(()) => Ok(()),
                Err(error) if error.code() == NOT_FOUND => Ok(()),
                Err(error) => Err(StoreError(format!(
                    "the Keychain could not remove the sign-in (status {})",
                    error.code()
                ))),
            }
        }
    }
}

#[cfg(windows)]
mod windows {
    //! Credential Manager (generic credentials named `zd:<account URL>`).
    use secrecy::{ExposeSecret as _, SecretString};
    use windows_sys::Win32::Foundation::{ERROR_NOT_FOUND, GetLastError};
    use windows_sys::Win32::Security::Credentials::{
        CRED_PERSIST_LOCAL_MACHINE, CRED_TYPE_GENERIC, CREDENTIALW, CredDeleteW, CredFree,
        CredReadW, CredWriteW,
    };

    use super::{SERVICE, SecretStore};
    use crate::oauth::StoreError;

    /// CRED_MAX_CREDENTIAL_BLOB_SIZE.
    const MAX_BLOB: usize = 5 * 512;

    pub struct CredentialManager;

    fn target(key: &str) -> Vec<u16> {
        format!("{SERVICE}:{key}")
            .encode_utf16()
            .chain(std::iter::once(0))
            .collect()
    }

    impl SecretStore for CredentialManager {
        fn name(&self) -> &'static str {
            "Windows Credential Manager"
        }

        fn get(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
            let target = target(key);
            let mut credential: *mut CREDENTIALW = std::ptr::null_mut();
            // SAFETY: `target` is NUL-terminated and outlives the call; `credential` is a valid
            // place for the pointer Windows allocates (freed below with CredFree).
            let found =
                unsafe { CredReadW(target.as_ptr(), CRED_TYPE_GENERIC, 0, &mut credential) };
            if found == 0 {
                // SAFETY: no preconditions; read right after the failing call.
                let error = unsafe { GetLastError() };
                return if error == ERROR_NOT_FOUND {
                    Ok(None)
                } else {
                    Err(StoreError(format!(
                        "Credential Manager could not be read (error {error})"
                    )))
                };
            }
            // SAFETY: CredReadW succeeded, so `credential` points to a valid CREDENTIALW whose
            // blob has `CredentialBlobSize` bytes; it is freed once, after the copy.
            let bytes = unsafe {
                let c = &*credential;
                let bytes = if c.CredentialBlob.is_null() || c.CredentialBlobSize == 0 {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(c.CredentialBlob, c.CredentialBlobSize as usize)
                        .to_vec()
                };
                CredFree(credential.cast());
                bytes
            };
            String::from_utf8(bytes)
                .map(|text| Some(SecretString::from(text)))
                .map_err(|_| StoreError("the Credential Manager entry is not UTF-8".into()))
        }

        fn set(&self, key: &str, secret: &SecretString) -> Result<(), StoreError> {
            let mut blob = secret.expose_secret().as_bytes().to_vec();
            if blob.len() > MAX_BLOB {
                return Err(StoreError(
                    "the sign-in is too large for Credential Manager".into(),
                ));
            }
            let mut target = target(key);
            // SAFETY: CREDENTIALW is plain data (integers and pointers); all-zero is valid.
            let mut credential: CREDENTIALW = unsafe { std::mem::zeroed() };
            credential.Type = CRED_TYPE_GENERIC;
            credential.TargetName = target.as_mut_ptr();
            credential.CredentialBlobSize = blob.len() as u32;
            credential.CredentialBlob = blob.as_mut_ptr();
            credential.Persist = CRED_PERSIST_LOCAL_MACHINE;
            // SAFETY: every pointer in `credential` refers to memory alive across the call,
            // which copies what it needs.
            let written = unsafe { CredWriteW(&credential, 0) };
            blob.fill(0);
            if written == 0 {
                // SAFETY: no preconditions.
                let error = unsafe { GetLastError() };
                return Err(StoreError(format!(
                    "Credential Manager refused to store the sign-in (error {error})"
                )));
            }
            Ok(())
        }

        fn delete(&self, key: &str) -> Result<(), StoreError> {
            let target = target(key);
            // SAFETY: `target` is NUL-terminated and outlives the call.
            let deleted = unsafe { CredDeleteW(target.as_ptr(), CRED_TYPE_GENERIC, 0) };
            if deleted == 0 {
                // SAFETY: no preconditions.
                let error = unsafe { GetLastError() };
                if error != ERROR_NOT_FOUND {
                    return Err(StoreError(format!(
                        "Credential Manager could not remove the sign-in (error {error})"
                    )));
                }
            }
            Ok(())
        }
    }
}
