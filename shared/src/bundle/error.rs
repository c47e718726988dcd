//! The typed errors of reading and building bundles.

/// Why a bundle was refused. Each way a bundle can be wrong has its own
/// variant, so callers (the CLI, the browser verifier) can say exactly why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The bytes are not a readable zip archive.
    #[error("not a zip archive: {0}")]
    NotAZip(String),
    /// A required entry is absent.
    #[error("the archive has no {0} entry")]
    MissingEntry(&'static str),
    /// The archive holds an entry other than `export.bin` and `export.sig`.
    #[error("the archive holds an unexpected entry {0:?}")]
    UnexpectedEntry(String),
    /// An entry name appears more than once (the names in the archive).
    #[error("the archive holds an entry name more than once (names: {0})")]
    DuplicateEntry(String),
    /// An entry decompresses to more than its limit (a zip bomb, or not a bundle).
    #[error("{name} decompresses to more than {limit} bytes")]
    EntryTooLarge {
        /// The entry.
        name: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// `export.bin` does not start with `EK Export v1` and four spaces.
    #[error("export.bin does not start with the header \"EK Export v1    \"")]
    WrongHeader,
    /// An entry is not the protobuf message it must hold.
    #[error("{entry} is not a valid protobuf message: {reason}")]
    BadProtobuf {
        /// The entry.
        entry: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// `export.sig` holds a different number of signatures than `export.bin`
    /// announces signature infos.
    #[error("export.sig holds {signatures} signature(s) but export.bin announces {infos}")]
    SignatureCountMismatch {
        /// Signature infos in `export.bin`.
        infos: usize,
        /// Signatures in `export.sig`.
        signatures: usize,
    },
    /// No signature names a key of the key ring.
    #[error("no signature was made with a known key (signed by: {0})")]
    NoKnownSignature(String),
    /// A signature names an algorithm other than ECDSA P-256 with SHA-256.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A signature's batch number or size differs from the export's.
    #[error("a signature is for batch {signature} but the export is batch {export}")]
    BatchMismatch {
        /// `batch_num/batch_size` of the export.
        export: String,
        /// `batch_num/batch_size` the signature names.
        signature: String,
    },
    /// A signature is not a DER-encoded ECDSA signature.
    #[error("a signature is not a DER-encoded ECDSA signature")]
    MalformedSignature,
    /// A signature names a known key but does not verify with it.
    #[error("the signature does not match (key id {key_id:?}, version {key_version:?})")]
    SignatureMismatch {
        /// The key id the signature names.
        key_id: String,
        /// The key version the signature names.
        key_version: String,
    },
}

/// Why a bundle could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// More keys than one bundle may hold.
    #[error("{count} keys exceed the limit of {limit} per bundle")]
    TooManyKeys {
        /// Keys given.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The time window ends before it starts.
    #[error("the time window ends ({end}) before it starts ({start})")]
    TimeWindow {
        /// Start, unix seconds.
        start: u64,
        /// End, unix seconds.
        end: u64,
    },
    /// Batch number outside `1..=batch_size`.
    #[error("batch {num} of {size} is not a valid batch position")]
    Batch {
        /// Batch number.
        num: u32,
        /// Batch size.
        size: u32,
    },
    /// No signer was given.
    #[error("at least one signing key is needed")]
    NoSigner,
    /// Two keys have the same key data.
    #[error("two keys have the same key data")]
    DuplicateKey,
}
