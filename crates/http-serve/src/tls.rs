//! HTTPS for a server: the rustls configuration from a certificate chain and its private key,
//! both PEM files as the usual tools write them (openssl, certbot, a company CA). rustls with the
//! ring provider, as the rest of the tree uses it; HTTP/1.1 is the only protocol offered.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server's TLS configuration from `cert` (the certificate, then any intermediates) and
/// `key` (its private key: PKCS#8, PKCS#1 or SEC1); an error names the file and what is wrong.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let shown = cert.display();
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|error| format!("the TLS certificate {shown} cannot be read: {error}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("the TLS certificate {shown} is not PEM certificates: {error}"))?;
    if chain.is_empty() {
        return Err(format!(
            "the TLS certificate {shown} holds no certificate (a PEM file with -----BEGIN CERTIFICATE-----)"
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|error| {
        format!(
            "the TLS key {} is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {error}",
            key.display()
        )
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS: {error}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| {
            format!("the TLS key does not go with the certificate {shown}: {error}")
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
