//! Certificates of the federation: a test CA, one certificate per country
//! (the country in the subject's `C=`) and the gateway's; the rustls
//! configurations of the gateway's mTLS listener and of the national
//! client; reading the country of a certificate.
//!
//! Every key is ECDSA P-256. A country certificate serves three purposes,
//! as in the reference deployment's test setup: TLS client authentication,
//! the CMS batch signature, and (for loopback) a TLS server name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use der::Decode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The subject common name of the test CA (the CA's name is rebuilt from it
/// to issue further certificates with the stored CA key).
const CA_NAME: &str = "warn federation test CA";
/// File names in a certificate folder.
pub const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca.key";
/// The gateway's certificate and key in a certificate folder.
pub const GATEWAY: &str = "gateway";

/// Why certificates could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Generation failed.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A PEM file holds nothing usable.
    #[error("{0}")]
    Invalid(String),
    /// rustls refused the configuration.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}

fn read(path: &Path) -> Result<String, CertError> {
    std::fs::read_to_string(path).map_err(|source| CertError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), CertError> {
    std::fs::write(path, text).map_err(|source| CertError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Valid from a day ago for ten years (test certificates).
fn validity(params: &mut rcgen::CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALID_DAYS);
}

/// How long the test certificates are valid.
const VALID_DAYS: i64 = 3_650;

fn ca_params() -> Result<rcgen::CertificateParams, CertError> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    validity(&mut params);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CA_NAME);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// What `warn federation cert` wrote.
#[derive(Debug, Default)]
pub struct Created {
    /// Files written (existing ones are kept).
    pub written: Vec<PathBuf>,
}

/// Makes sure `dir` holds the test CA, the gateway's certificate and one
/// certificate per code in `countries` (`DE.pem`, `DE.key`); keeps what
/// exists. Every certificate names `localhost` and `127.0.0.1`.
pub fn create(dir: &Path, countries: &[String]) -> Result<Created, CertError> {
    std::fs::create_dir_all(dir).map_err(|source| CertError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut created = Created::default();
    let (ca_cert, ca_key) = (dir.join(CA_CERT), dir.join(CA_KEY));
    let ca_key_pair = if ca_key.exists() {
        rcgen::KeyPair::from_pem(&read(&ca_key)?)?
    } else {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let cert = ca_params()?.self_signed(&key)?;
        write(&ca_key, &key.serialize_pem())?;
        write(&ca_cert, &cert.pem())?;
        created.written.extend([ca_cert.clone(), ca_key.clone()]);
        key
    };
    let issuer = rcgen::Issuer::new(ca_params()?, ca_key_pair);
    let mut leaf = |name: &str, country: Option<&str>| -> Result<(), CertError> {
        let (cert_path, key_path) = (
            dir.join(format!("{name}.pem")),
            dir.join(format!("{name}.key")),
        );
        if cert_path.exists() && key_path.exists() {
            return Ok(());
        }
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("warn federation {name}"));
        if let Some(country) = country {
            params
                .distinguished_name
                .push(rcgen::DnType::CountryName, country);
        }
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params);
        let cert = params.signed_by(&key, &issuer)?;
        write(&key_path, &key.serialize_pem())?;
        write(&cert_path, &cert.pem())?;
        created.written.extend([cert_path, key_path]);
        Ok(())
    };
    leaf(GATEWAY, None)?;
    for country in countries {
        leaf(country, Some(country))?;
    }
    Ok(created)
}

/// A certificate with its private key, read from PEM files.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The PKCS#8 private key, DER.
    pub key_pkcs8: Vec<u8>,
    /// Its country (`C=`), when it names one.
    pub country: Option<String>,
}

impl Identity {
    /// Reads `cert` (PEM, the first certificate) and `key` (PKCS#8 PEM).
    pub fn load(cert: &Path, key: &Path) -> Result<Self, CertError> {
        let cert_der = CertificateDer::from_pem_slice(read(cert)?.as_bytes())
            .map_err(|error| CertError::Invalid(format!("{}: {error}", cert.display())))?;
        let key_der = PrivateKeyDer::from_pem_slice(read(key)?.as_bytes())
            .map_err(|error| CertError::Invalid(format!("{}: {error}", key.display())))?;
        let PrivateKeyDer::Pkcs8(pkcs8) = key_der else {
            return Err(CertError::Invalid(format!(
                "{}: expected a PKCS#8 private key",
                key.display()
            )));
        };
        Ok(Self {
            country: country_of(&cert_der),
            cert: cert_der,
            key_pkcs8: pkcs8.secret_pkcs8_der().to_vec(),
        })
    }

    /// The country certificate and key in a folder made by [`create`].
    pub fn in_dir(dir: &Path, name: &str) -> Result<Self, CertError> {
        Self::load(
            &dir.join(format!("{name}.pem")),
            &dir.join(format!("{name}.key")),
        )
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key_pkcs8.clone().into())
    }
}

/// The trusted CA certificate (PEM).
pub fn load_ca(path: &Path) -> Result<CertificateDer<'static>, CertError> {
    CertificateDer::from_pem_slice(read(path)?.as_bytes())
        .map_err(|error| CertError::Invalid(format!("{}: {error}", path.display())))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca: &CertificateDer<'static>) -> Result<Arc<rustls::RootCertStore>, CertError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone())?;
    Ok(Arc::new(roots))
}

/// The gateway's TLS configuration: its certificate, and a client
/// certificate issued by `ca` required from every caller.
pub fn server_config(
    identity: &Identity,
    ca: &CertificateDer<'static>,
) -> Result<rustls::ServerConfig, CertError> {
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider())
            .build()
            .map_err(|error| CertError::Invalid(format!("client verifier: {error}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert.clone()], identity.key())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A national server's TLS configuration towards the gateway: trusts `ca`
/// only, authenticates with `identity`.
pub fn client_config(
    identity: &Identity,
    ca: &CertificateDer<'static>,
) -> Result<rustls::ClientConfig, CertError> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(ca)?)
        .with_client_auth_cert(vec![identity.cert.clone()], identity.key())?)
}

/// An HTTP client that authenticates with `identity` and trusts only `ca`.
pub fn http_client(
    identity: &Identity,
    ca: &CertificateDer<'static>,
) -> Result<super::client::FederationClient, CertError> {
    Ok(super::client::FederationClient::new(client_config(
        identity, ca,
    )?))
}

/// The ISO 3166 code in the subject's `C=` of a DER certificate; `None`
/// when the certificate does not parse or names no (two-letter) country.
pub fn country_of(cert: &[u8]) -> Option<String> {
    let cert = x509_cert::Certificate::from_der(cert).ok()?;
    country_of_parsed(&cert)
}

/// The subject's `C=` of a parsed certificate.
pub fn country_of_parsed(cert: &x509_cert::Certificate) -> Option<String> {
    const COUNTRY: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.5.4.6");
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for attribute in rdn.0.iter() {
            if attribute.oid == COUNTRY {
                let code = std::str::from_utf8(attribute.value.value()).ok()?;
                if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Some(code.to_owned());
                }
                return None;
            }
        }
    }
    None
}
