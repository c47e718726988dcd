//! The batch signature of the gateway contract: a detached CMS (PKCS#7)
//! `SignedData`, base64, over the canonical bytes of a batch.
//!
//! Canonical bytes, as EFGS computes them ([`canonical_bytes`]): one
//! record per key, every field the base64 of its big-endian value followed
//! by `.`; the records sorted by the base64 of each whole record, then
//! concatenated. Every field that travels is covered, exactly as it travels.
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

/// Appends the base64 of `bytes` and the `.` separator.
fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(STANDARD.encode(bytes).as_bytes());
    out.push(b'.');
}

/// What Java's `String.getBytes(US_ASCII)` gives: every character that is
/// not ASCII becomes `?` (EFGS and cwa-server encode the countries so).
fn us_ascii(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(c).ok().filter(u8::is_ascii).unwrap_or(b'?'))
        .collect()
}

/// The signed record of one key, as EFGS writes it
/// (`BatchSignatureUtils.generateBytesToVerify(DiagnosisKey)` in
/// eu-federation-gateway-service/efgs-federation-gateway; cwa-server's
/// `BatchSigner.createBytesForKey` is the same): each field as the base64 of
/// its bytes followed by `.`, in field order; the integers as 4 big-endian
/// bytes (the unsigned ones by their bit pattern), the visited countries
/// joined by `,` exactly as they travel (neither sorted nor deduplicated),
/// the countries as US-ASCII.
pub fn record_bytes(key: &proto::efgs::DiagnosisKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(120);
    push_field(&mut out, &key.key_data);
    push_field(&mut out, &key.rolling_start_interval_number.to_be_bytes());
    push_field(&mut out, &key.rolling_period.to_be_bytes());
    push_field(&mut out, &key.transmission_risk_level.to_be_bytes());
    push_field(&mut out, &us_ascii(&key.visited_countries.join(",")));
    push_field(&mut out, &us_ascii(&key.origin));
    push_field(&mut out, &key.report_type.to_be_bytes());
    push_field(&mut out, &key.days_since_onset_of_symptoms.to_be_bytes());
    out
}

/// The canonical bytes of a batch, which the signature covers: the records
/// of its keys ([`record_bytes`]) sorted by the base64 of each whole record
/// (EFGS `BatchSignatureUtils.sortBatchByKeyData`, despite its name, and
/// cwa-server's `BatchSigner.createBytesToSign`), concatenated. The order
/// of the keys in the protobuf does not matter.
pub fn canonical_bytes(batch: &DiagnosisKeyBatch) -> Vec<u8> {
    let mut records: Vec<(String, Vec<u8>)> = batch
        .keys
        .iter()
        .map(|key| {
            let record = record_bytes(key);
            (STANDARD.encode(&record), record)
        })
        .collect();
    // Java compares the base64 strings by UTF-16 code unit: for base64
    // (ASCII) that is the byte order.
    records.sort_by(|a, b| a.0.cmp(&b.0));
    records.into_iter().flat_map(|(_, record)| record).collect()
}

/// The payload hash by which EFGS tells a key it holds already
/// (`DiagnosisKeyMapper.protoToEntity`: SHA-256 of the key's record, unique
/// in its table): lower-case hex.
pub fn record_hash(key: &proto::efgs::DiagnosisKey) -> String {
    hex::encode(Sha256::digest(record_bytes(key)))
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

/// Who signed a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The country (`C=`) of the signing certificate.
    pub country: String,
    /// The signing certificate, DER.
    pub certificate: Vec<u8>,
}

/// Verifies a detached signature over `content`; answers the signer, whose
/// certificate `ca` must have issued.
pub fn verify(
    content: &[u8],
    signature_b64: &str,
    ca: &Certificate,
    now: i64,
) -> Result<Signer, VerifyError> {
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
    let country = super::certs::country_of_parsed(cert)
        .ok_or_else(|| VerifyError::Untrusted("the certificate names no country".into()))?;
    Ok(Signer {
        country,
        certificate: cert.to_der().map_err(malformed)?,
    })
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

    /// Keys of EFGS's cross-language test data
    /// (`src/test/resources/CSharpTestdata.txt` in
    /// eu-federation-gateway-service/efgs-federation-gateway, read by
    /// `BatchSignatureUtilsTest.testCSharpCrossLanguageCalculation`): key
    /// data, rolling start, rolling period and transmission risk level as
    /// big-endian bytes, the visited countries as written, the origin, the
    /// report type, the days since onset as big-endian bytes, and the base64
    /// of the key's whole record as the C# and Java implementations compute it.
    #[allow(clippy::type_complexity)]
    const EFGS_RECORDS: [(
        [u8; 16],
        [u8; 4],
        [u8; 4],
        [u8; 4],
        &str,
        &str,
        i32,
        [u8; 4],
        &str,
    ); 5] = [
        (
            [
                35, 199, 183, 54, 37, 140, 135, 101, 121, 66, 103, 81, 194, 203, 139, 34,
            ],
            [176, 95, 200, 53],
            [169, 54, 23, 39],
            [105, 15, 54, 106],
            "ZA,HN,DJ,EE,DJ,AF,DJ,CL,BA,DJ",
            "DE",
            1,
            [240, 255, 255, 255],
            "SThlM05pV01oMlY1UW1kUndzdUxJZz09LnNGL0lOUT09LnFUWVhKdz09LmFRODJhZz09LldrRXNTRTRzUkVvc1JVVXNSRW9zUVVZc1JFb3NRMHdzUWtFc1JFbz0uUkVVPS5BQUFBQVE9PS44UC8vL3c9PS4=",
        ),
        (
            [
                125, 182, 176, 190, 95, 41, 3, 106, 235, 51, 249, 138, 108, 114, 109, 37,
            ],
            [225, 81, 1, 36],
            [104, 30, 137, 13],
            [95, 141, 58, 29],
            "MC,CA,GR,DJ,ET,DJ,DJ,DJ,JM,DJ",
            "DE",
            1,
            [42, 0, 0, 0],
            "ZmJhd3ZsOHBBMnJyTS9tS2JISnRKUT09LjRWRUJKQT09LmFCNkpEUT09Llg0MDZIUT09LlRVTXNRMEVzUjFJc1JFb3NSVlFzUkVvc1JFb3NSRW9zU2swc1JFbz0uUkVVPS5BQUFBQVE9PS5LZ0FBQUE9PS4=",
        ),
        (
            [
                188, 131, 153, 229, 197, 176, 161, 4, 108, 98, 31, 69, 189, 53, 35, 175,
            ],
            [106, 216, 213, 14],
            [105, 130, 131, 109],
            [127, 244, 218, 38],
            "DJ,AL,DJ,DJ,DJ,DJ,DJ,DJ,CN,DJ",
            "DE",
            1,
            [240, 255, 255, 255],
            "dklPWjVjV3dvUVJzWWg5RnZUVWpydz09LmF0alZEZz09LmFZS0RiUT09LmYvVGFKZz09LlJFb3NRVXdzUkVvc1JFb3NSRW9zUkVvc1JFb3NSRW9zUTA0c1JFbz0uUkVVPS5BQUFBQVE9PS44UC8vL3c9PS4=",
        ),
        (
            [
                62, 55, 12, 55, 119, 117, 240, 134, 173, 188, 131, 220, 252, 252, 160, 85,
            ],
            [18, 116, 237, 23],
            [114, 91, 1, 64],
            [156, 88, 77, 113],
            "DJ,LK,DJ,DJ,CN,CL,DJ,DJ,DJ,SN",
            "DE",
            1,
            [218, 255, 255, 255],
            "UGpjTU4zZDE4SWF0dklQYy9QeWdWUT09LkVuVHRGdz09LmNsc0JRQT09Lm5GaE5jUT09LlJFb3NURXNzUkVvc1JFb3NRMDRzUTB3c1JFb3NSRW9zUkVvc1UwND0uUkVVPS5BQUFBQVE9PS4ydi8vL3c9PS4=",
        ),
        (
            [
                162, 178, 23, 89, 36, 231, 57, 134, 190, 174, 191, 227, 188, 194, 47, 178,
            ],
            [107, 116, 155, 24],
            [167, 155, 223, 85],
            [108, 143, 1, 9],
            "DJ,FI,DJ,IN,DJ,DJ,DJ,DJ,DJ,419",
            "DE",
            1,
            [29, 0, 0, 0],
            "b3JJWFdTVG5PWWErcnIvanZNSXZzZz09LmEzU2JHQT09LnA1dmZWUT09LmJJOEJDUT09LlJFb3NSa2tzUkVvc1NVNHNSRW9zUkVvc1JFb3NSRW9zUkVvc05ERTUuUkVVPS5BQUFBQVE9PS5IUUFBQUE9PS4=",
        ),
    ];

    fn efgs_keys() -> Vec<(proto::efgs::DiagnosisKey, &'static str)> {
        EFGS_RECORDS
            .iter()
            .map(
                |(data, start, period, trl, visited, origin, report, dsos, record)| {
                    let key = proto::efgs::DiagnosisKey {
                        key_data: data.to_vec().into(),
                        rolling_start_interval_number: u32::from_be_bytes(*start),
                        rolling_period: u32::from_be_bytes(*period),
                        transmission_risk_level: i32::from_be_bytes(*trl),
                        visited_countries: visited.split(',').map(str::to_owned).collect(),
                        origin: (*origin).to_owned(),
                        report_type: *report,
                        days_since_onset_of_symptoms: i32::from_be_bytes(*dsos),
                    };
                    (key, *record)
                },
            )
            .collect()
    }

    #[test]
    fn each_record_is_byte_for_byte_what_efgs_computes() {
        for (key, expected) in efgs_keys() {
            assert_eq!(
                STANDARD.encode(record_bytes(&key)),
                expected,
                "key {:?}",
                key.key_data
            );
        }
    }

    #[test]
    fn a_batch_is_its_records_sorted_by_their_base64() {
        let keys = efgs_keys();
        // The published records, sorted as strings, decoded, concatenated.
        let mut published: Vec<&str> = keys.iter().map(|(_, record)| *record).collect();
        published.sort_unstable();
        let expected: Vec<u8> = published
            .iter()
            .flat_map(|record| STANDARD.decode(record).expect("base64"))
            .collect();
        let mut batch = DiagnosisKeyBatch {
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        };
        assert_eq!(canonical_bytes(&batch), expected);
        batch.keys.reverse();
        assert_eq!(canonical_bytes(&batch), expected, "the key order matters");
    }

    #[test]
    fn records_sort_by_their_own_base64_not_by_key_data() {
        // Key data "B..." sorts before "Cz..." by its base64, but the record
        // "Cz..." encodes to "Q3..." ('3' is below every letter in ASCII)
        // and the record "B..." to "Qk...": EFGS puts "Cz..." first.
        let key = |data: &str| proto::efgs::DiagnosisKey {
            key_data: STANDARD.decode(data).expect("base64").into(),
            rolling_start_interval_number: 2_900_000,
            rolling_period: 144,
            transmission_risk_level: 0x7fff_ffff,
            visited_countries: vec!["NL".into(), "FR".into(), "NL".into()],
            origin: "DE".into(),
            report_type: 1,
            days_since_onset_of_symptoms: -2,
        };
        let (b, cz) = (
            key("BAAAAAAAAAAAAAAAAAAAAA=="),
            key("CzAAAAAAAAAAAAAAAAAAAA=="),
        );
        let batch = DiagnosisKeyBatch {
            keys: vec![b.clone(), cz.clone()],
        };
        let mut expected = record_bytes(&cz);
        expected.extend(record_bytes(&b));
        assert_eq!(canonical_bytes(&batch), expected);
        // The visited countries are covered as they travel, order and
        // repetitions included; so is an unset transmission risk level.
        let text = String::from_utf8(record_bytes(&b)).expect("ASCII");
        assert!(
            text.contains(&format!(".{}.", STANDARD.encode("NL,FR,NL"))),
            "{text}"
        );
        assert!(text.contains(".f////w==."), "{text}");
        assert!(text.ends_with(".AAAAAQ==./////g==."), "{text}");
    }

    #[test]
    fn countries_are_written_as_us_ascii() {
        let mut key = efgs_keys().remove(0).0;
        key.origin = "DÉ".into();
        let text = String::from_utf8(record_bytes(&key)).expect("ASCII");
        assert!(
            text.contains(&format!(".{}.", STANDARD.encode("D?"))),
            "{text}"
        );
    }

    #[test]
    fn a_signature_verifies_and_names_the_signers_country() {
        let dir = tempfile::tempdir().expect("folder");
        certs::create(dir.path(), &["DE".into(), "FR".into()]).expect("certificates");
        let de = certs::Identity::in_dir(dir.path(), "DE").expect("DE");
        let bytes = canonical_bytes(&batch("DE"));
        let signature = sign(&bytes, &de).expect("signed");
        let now = crate::clock::now();
        let signer = verify(&bytes, &signature, &ca(dir.path()), now).expect("verifies");
        assert_eq!(signer.country, "DE");
        assert_eq!(signer.certificate, de.cert.to_vec());
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
