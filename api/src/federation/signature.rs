//! The batch signature of the gateway contract: a detached CMS (PKCS#7)
//! `SignedData`, base64, over the canonical bytes of a batch.
//!
//! Canonical bytes: the keys are sorted by their base64 key data; each key
//! is written as its fields, each the base64 of its big-endian value (the
//! integers as 4 bytes, the countries joined by `,` and the origin as
//! UTF-8), every field followed by `.`; the keys are concatenated. So the
//! order of the keys in the protobuf does not matter, and every field that
//! travels is covered.
//!
//! The signature carries the signer's certificate; the gateway checks that
//! a trusted CA issued it and that its `C=` is the uploader's country.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{
    EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier, SignerInfo,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Decode, Encode};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::pkcs8::DecodePrivateKey;
use proto::efgs::DiagnosisKeyBatch;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::certs::Identity;

/// The OIDs a CMS signature names.
mod oid {
    use der::oid::ObjectIdentifier;
    pub const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    pub const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    pub const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
    pub const MESSAGE_DIGEST: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
    pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
}

/// The canonical bytes of a batch, which the signature covers.
pub fn canonical_bytes(batch: &DiagnosisKeyBatch) -> Vec<u8> {
    let mut keys: Vec<(String, &proto::efgs::DiagnosisKey)> = batch
        .keys
        .iter()
        .map(|key| (STANDARD.encode(&key.key_data), key))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    let int = |out: &mut String, value: i32| {
        out.push_str(&STANDARD.encode(value.to_be_bytes()));
        out.push('.');
    };
    for (data, key) in keys {
        out.push_str(&data);
        out.push('.');
        int(&mut out, key.rolling_start_interval_number as i32);
        int(&mut out, key.rolling_period as i32);
        int(&mut out, key.transmission_risk_level);
        out.push_str(&STANDARD.encode(key.visited_countries.join(",")));
        out.push('.');
        out.push_str(&STANDARD.encode(&key.origin));
        out.push('.');
        int(&mut out, key.report_type);
        int(&mut out, key.days_since_onset_of_symptoms);
    }
    out.into_bytes()
}

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The private key is not a P-256 PKCS#8 key.
    #[error("the signing key is not an ECDSA P-256 PKCS#8 key")]
    Key,
    /// Encoding failed.
    #[error("encoding the signature: {0}")]
    Der(#[from] der::Error),
}

/// Signs `content` (detached): base64 of a DER `ContentInfo`.
pub fn sign(content: &[u8], identity: &Identity) -> Result<String, SignError> {
    let key =
        p256::ecdsa::SigningKey::from_pkcs8_der(&identity.key_pkcs8).map_err(|_| SignError::Key)?;
    let cert = Certificate::from_der(identity.cert.as_ref())?;
    let digest = Sha256::digest(content);
    let attributes = vec![
        attribute(oid::CONTENT_TYPE, der::Any::encode_from(&oid::DATA)?)?,
        attribute(
            oid::MESSAGE_DIGEST,
            der::Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
    ];
    let signed_attrs: SignedAttributes = SetOfVec::try_from(attributes)?;
    let signature: p256::ecdsa::Signature = key.sign(&signed_attrs.to_der()?);
    let signer = SignerInfo {
        version: cms::content_info::CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(cms::cert::IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: algorithm(oid::SHA256),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: algorithm(oid::ECDSA_SHA256),
        signature: OctetString::new(signature.to_der().as_bytes().to_vec())?,
        unsigned_attrs: None,
    };
    let signed_data = SignedData {
        version: cms::content_info::CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![algorithm(oid::SHA256)])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent: None,
        },
        certificates: Some(cms::signed_data::CertificateSet(SetOfVec::try_from(vec![
            CertificateChoices::Certificate(cert),
        ])?)),
        crls: None,
        signer_infos: cms::signed_data::SignerInfos(SetOfVec::try_from(vec![signer])?),
    };
    let info = ContentInfo {
        content_type: oid::SIGNED_DATA,
        content: der::Any::encode_from(&signed_data)?,
    };
    Ok(STANDARD.encode(info.to_der()?))
}

fn attribute(oid: der::oid::ObjectIdentifier, value: der::Any) -> Result<Attribute, der::Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

fn algorithm(oid: der::oid::ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// Why a signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// Not base64, not DER, not a `SignedData` with one signer.
    #[error("the batch signature is malformed: {0}")]
    Malformed(String),
    /// The signer's certificate was not issued by the trusted CA, or is expired.
    #[error("the signing certificate is not trusted: {0}")]
    Untrusted(String),
    /// The signature does not match the batch.
    #[error("the batch signature does not match the batch")]
    Mismatch,
}

fn malformed(error: impl std::fmt::Display) -> VerifyError {
    VerifyError::Malformed(error.to_string())
}

/// Verifies a detached signature over `content`; answers the country
/// (`C=`) of the signing certificate, which `ca` must have issued.
pub fn verify(
    content: &[u8],
    signature_b64: &str,
    ca: &Certificate,
    now: i64,
) -> Result<String, VerifyError> {
    let bytes = STANDARD.decode(signature_b64.trim()).map_err(malformed)?;
    let info = ContentInfo::from_der(&bytes).map_err(malformed)?;
    if info.content_type != oid::SIGNED_DATA {
        return Err(malformed("not a SignedData"));
    }
    let signed: SignedData = info.content.decode_as().map_err(malformed)?;
    let mut signers = signed.signer_infos.0.iter();
    let (Some(signer), None) = (signers.next(), signers.next()) else {
        return Err(malformed("expected exactly one signer"));
    };
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(malformed(
            "the signer is not named by issuer and serial number",
        ));
    };
    let cert = signed
        .certificates
        .as_ref()
        .and_then(|set| {
            set.0.iter().find_map(|choice| match choice {
                CertificateChoices::Certificate(cert)
                    if cert.tbs_certificate.issuer == sid.issuer
                        && cert.tbs_certificate.serial_number == sid.serial_number =>
                {
                    Some(cert)
                }
                _ => None,
            })
        })
        .ok_or_else(|| malformed("the signature does not carry the signer's certificate"))?;
    check_issued(cert, ca, now)?;
    if signer.digest_alg.oid != oid::SHA256 || signer.signature_algorithm.oid != oid::ECDSA_SHA256 {
        return Err(malformed("expected SHA-256 with ECDSA"));
    }
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| malformed("no signed attributes"))?;
    let digest = attrs
        .iter()
        .find(|attribute| attribute.oid == oid::MESSAGE_DIGEST)
        .and_then(|attribute| attribute.values.iter().next())
        .and_then(|value| value.decode_as::<OctetString>().ok())
        .ok_or_else(|| malformed("no message digest"))?;
    if digest.as_bytes() != Sha256::digest(content).as_slice() {
        return Err(VerifyError::Mismatch);
    }
    let key = public_key(cert).map_err(VerifyError::Untrusted)?;
    let signature = p256::ecdsa::Signature::from_der(signer.signature.as_bytes())
        .map_err(|_| malformed("the ECDSA signature is not DER"))?;
    let signed_bytes = attrs.to_der().map_err(malformed)?;
    key.verify(&signed_bytes, &signature)
        .map_err(|_| VerifyError::Mismatch)?;
    super::certs::country_of_parsed(cert)
        .ok_or_else(|| VerifyError::Untrusted("the certificate names no country".into()))
}

fn public_key(cert: &Certificate) -> Result<p256::ecdsa::VerifyingKey, String> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or("the public key is not a whole number of bytes")?;
    p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
        .map_err(|_| "the public key is not ECDSA P-256".to_owned())
}

/// Checks that `ca` signed `cert` and that `cert` is valid at `now`.
fn check_issued(cert: &Certificate, ca: &Certificate, now: i64) -> Result<(), VerifyError> {
    let tbs = &cert.tbs_certificate;
    if tbs.issuer != ca.tbs_certificate.subject {
        return Err(VerifyError::Untrusted("issued by another CA".into()));
    }
    let validity = &tbs.validity;
    let seconds = |time: &x509_cert::time::Time| {
        i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    if now < seconds(&validity.not_before) || now > seconds(&validity.not_after) {
        return Err(VerifyError::Untrusted("outside its validity".into()));
    }
    if cert.signature_algorithm.oid != oid::ECDSA_SHA256 {
        return Err(VerifyError::Untrusted(
            "not signed with ECDSA SHA-256".into(),
        ));
    }
    let key = public_key(ca).map_err(VerifyError::Untrusted)?;
    let signature = cert
        .signature
        .as_bytes()
        .and_then(|bytes| p256::ecdsa::Signature::from_der(bytes).ok())
        .ok_or_else(|| VerifyError::Untrusted("the certificate's signature is malformed".into()))?;
    let tbs_der = tbs.to_der().map_err(malformed)?;
    key.verify(&tbs_der, &signature)
        .map_err(|_| VerifyError::Untrusted("not issued by the trusted CA".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::certs;

    fn ca(dir: &std::path::Path) -> Certificate {
        let der = certs::load_ca(&dir.join(certs::CA_CERT)).expect("CA");
        Certificate::from_der(der.as_ref()).expect("parses")
    }

    fn batch(origin: &str) -> DiagnosisKeyBatch {
        DiagnosisKeyBatch {
            keys: (0u8..3)
                .map(|index| proto::efgs::DiagnosisKey {
                    key_data: vec![index; 16].into(),
                    rolling_start_interval_number: 2_900_000 + u32::from(index),
                    rolling_period: 144,
                    transmission_risk_level: 5,
                    visited_countries: vec!["FR".into(), "NL".into()],
                    origin: origin.into(),
                    report_type: 1,
                    days_since_onset_of_symptoms: -2,
                })
                .collect(),
        }
    }

    #[test]
    fn canonical_bytes_ignore_key_order_and_cover_every_field() {
        let mut reversed = batch("DE");
        reversed.keys.reverse();
        assert_eq!(canonical_bytes(&batch("DE")), canonical_bytes(&reversed));
        let text = String::from_utf8(canonical_bytes(&batch("DE"))).expect("ASCII");
        // Key data, then each field as base64 of its big-endian bytes.
        assert!(text.starts_with(
            "AAAAAAAAAAAAAAAAAAAAAA==.ACxAIA==.AAAAkA==.AAAABQ==.RlIsTkw=.REU=.AAAAAQ==./////g==."
        ));
        assert_ne!(canonical_bytes(&batch("DE")), canonical_bytes(&batch("FR")));
        // The days since onset as they travel (EFGS-encoded) are covered.
        let mut unknown = batch("DE");
        unknown.keys[0].days_since_onset_of_symptoms = 3998;
        let text = String::from_utf8(canonical_bytes(&unknown)).expect("ASCII");
        assert!(text.contains(".AAAPng==."), "{text}");
        assert_ne!(canonical_bytes(&unknown), canonical_bytes(&batch("DE")));
    }

    #[test]
    fn a_signature_verifies_and_names_the_signers_country() {
        let dir = tempfile::tempdir().expect("folder");
        certs::create(dir.path(), &["DE".into(), "FR".into()]).expect("certificates");
        let de = certs::Identity::in_dir(dir.path(), "DE").expect("DE");
        let bytes = canonical_bytes(&batch("DE"));
        let signature = sign(&bytes, &de).expect("signed");
        let now = crate::clock::now();
        assert_eq!(
            verify(&bytes, &signature, &ca(dir.path()), now),
            Ok("DE".into())
        );
        // Other content.
        let other = canonical_bytes(&batch("FR"));
        assert_eq!(
            verify(&other, &signature, &ca(dir.path()), now),
            Err(VerifyError::Mismatch)
        );
        // Another CA.
        let stranger = tempfile::tempdir().expect("folder");
        certs::create(stranger.path(), &["DE".into()]).expect("certificates");
        assert!(matches!(
            verify(&bytes, &signature, &ca(stranger.path()), now),
            Err(VerifyError::Untrusted(_))
        ));
        // Expired (far future).
        assert!(matches!(
            verify(&bytes, &signature, &ca(dir.path()), now + 20 * 365 * 86_400),
            Err(VerifyError::Untrusted(_))
        ));
    }

    #[test]
    fn garbage_is_malformed_without_panic() {
        let dir = tempfile::tempdir().expect("folder");
        certs::create(dir.path(), &[]).expect("certificates");
        let ca = ca(dir.path());
        let mut seed = 7u64;
        for length in [0usize, 1, 2, 10, 100, 1000] {
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (seed >> 33) as u8
                })
                .collect();
            let text = STANDARD.encode(&bytes);
            assert!(verify(b"content", &text, &ca, 0).is_err());
        }
        assert!(verify(b"content", "not base64!", &ca, 0).is_err());
    }
}
