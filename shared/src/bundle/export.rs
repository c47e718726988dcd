//! Key bundles: `export.bin` is the 16-byte header and a
//! `TemporaryExposureKeyExport`; `export.sig` signs all of it.

use bytes::Bytes;
use prost::Message;
use proto::exposurenotification::{TekSignatureList, TemporaryExposureKeyExport};

use super::archive::{Archive, EXPORT_BIN, read_archive, write_archive};
use super::error::{BuildError, BundleError};
use super::signing::{KeyIdentity, KeyRing, Signer, decode_signatures, verify_signatures};
use crate::keys::DiagnosisKey;

/// The first 16 bytes of every `export.bin`: `EK Export v1` and four spaces.
pub const EXPORT_HEADER: &[u8; 16] = b"EK Export v1    ";

/// The most keys one bundle holds (the reference architecture's per-file maximum).
pub const MAX_KEYS_PER_BUNDLE: usize = 600_000;

/// What goes into a key bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSpec {
    /// Region (ISO 3166 alpha-2, or "EUR").
    pub region: String,
    /// Start of the time window, unix seconds.
    pub start_timestamp: u64,
    /// End of the time window, unix seconds.
    pub end_timestamp: u64,
    /// Position of this file in its batch, 1-based.
    pub batch_num: u32,
    /// Files in the batch.
    pub batch_size: u32,
    /// The keys, in any order: the bundle holds them sorted by key data.
    pub keys: Vec<DiagnosisKey>,
}

/// Builds and signs a key bundle; returns the zip archive's bytes.
///
/// Keys are sorted by key data (unsigned lexicographic), which hides which
/// keys were submitted together. Every signer adds one signature.
pub fn build_export(mut spec: ExportSpec, signers: &[&Signer]) -> Result<Vec<u8>, BuildError> {
    if signers.is_empty() {
        return Err(BuildError::NoSigner);
    }
    if spec.keys.len() > MAX_KEYS_PER_BUNDLE {
        return Err(BuildError::TooManyKeys {
            count: spec.keys.len(),
            limit: MAX_KEYS_PER_BUNDLE,
        });
    }
    if spec.end_timestamp < spec.start_timestamp {
        return Err(BuildError::TimeWindow {
            start: spec.start_timestamp,
            end: spec.end_timestamp,
        });
    }
    let batch = batch_position(spec.batch_num, spec.batch_size)?;
    spec.keys.sort_unstable_by_key(|key| key.key_data);
    if spec
        .keys
        .windows(2)
        .any(|pair| pair[0].key_data == pair[1].key_data)
    {
        return Err(BuildError::DuplicateKey);
    }

    let export = TemporaryExposureKeyExport {
        start_timestamp: Some(spec.start_timestamp),
        end_timestamp: Some(spec.end_timestamp),
        region: Some(spec.region),
        batch_num: Some(batch.0),
        batch_size: Some(batch.1),
        signature_infos: signers
            .iter()
            .map(|signer| signer.identity().signature_info())
            .collect(),
        keys: spec.keys.iter().map(DiagnosisKey::to_proto).collect(),
        revised_keys: Vec::new(),
    };
    let mut bin = Vec::with_capacity(EXPORT_HEADER.len() + export.encoded_len());
    bin.extend_from_slice(EXPORT_HEADER);
    export
        .encode(&mut bin)
        .expect("a Vec grows to hold any message");
    let list = TekSignatureList {
        signatures: signers
            .iter()
            .map(|signer| signer.tek_signature(&bin, Some(batch)))
            .collect(),
    };
    Ok(write_archive(&bin, &list.encode_to_vec()))
}

fn batch_position(num: u32, size: u32) -> Result<(i32, i32), BuildError> {
    let invalid = || BuildError::Batch { num, size };
    let num_i32 = i32::try_from(num).map_err(|_| invalid())?;
    let size_i32 = i32::try_from(size).map_err(|_| invalid())?;
    if num == 0 || num > size {
        return Err(invalid());
    }
    Ok((num_i32, size_i32))
}

/// A bundle whose signature verified, with its decoded contents.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedExport {
    /// The decoded `export.bin` (after the header).
    pub export: TemporaryExposureKeyExport,
    /// The identity named by the signature that verified.
    pub signed_by: KeyIdentity,
}

/// A bundle's decoded contents, signatures not checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportContents {
    /// The decoded `export.bin` (after the header).
    pub export: TemporaryExposureKeyExport,
    /// The decoded `export.sig`.
    pub signatures: TekSignatureList,
}

/// Parses a bundle without checking signatures (for inspection).
pub fn inspect_export(bundle: &[u8]) -> Result<ExportContents, BundleError> {
    let Archive { bin, sig } = read_archive(bundle)?;
    Ok(ExportContents {
        export: decode_export(Bytes::from(bin))?,
        signatures: decode_signatures(&sig)?,
    })
}

/// Parses a bundle and verifies it against the key ring: the archive must
/// hold exactly the two entries, `export.bin` must carry the header and
/// decode, `export.sig` must hold one signature per signature info, and one
/// signature must name a known key, repeat the export's batch position and
/// verify over the whole of `export.bin`.
pub fn verify_export(bundle: &[u8], ring: &KeyRing) -> Result<VerifiedExport, BundleError> {
    let Archive { bin, sig } = read_archive(bundle)?;
    let bin = Bytes::from(bin);
    let export = decode_export(bin.clone())?;
    let signatures = decode_signatures(&sig)?;
    if signatures.signatures.len() != export.signature_infos.len() {
        return Err(BundleError::SignatureCountMismatch {
            infos: export.signature_infos.len(),
            signatures: signatures.signatures.len(),
        });
    }
    let batch = (export.batch_num, export.batch_size);
    let signed_by = verify_signatures(&bin, &signatures, ring, Some(batch))?;
    Ok(VerifiedExport { export, signed_by })
}

/// Decodes `export.bin` after its header. Taking `Bytes` lets prost slice
/// each key's data out of the buffer instead of copying it.
fn decode_export(bin: Bytes) -> Result<TemporaryExposureKeyExport, BundleError> {
    if !bin.starts_with(EXPORT_HEADER) {
        return Err(BundleError::WrongHeader);
    }
    TemporaryExposureKeyExport::decode(bin.slice(EXPORT_HEADER.len()..)).map_err(|error| {
        BundleError::BadProtobuf {
            entry: EXPORT_BIN,
            reason: error.to_string(),
        }
    })
}
