//! One key bundle checked: valid (and by which key) or why not, and what it
//! holds. The reasons of `shared`'s [`BundleError`] in German and English.

use shared::bundle::{
    BundleError, ExportSummary, KeyIdentity, KeyRing, inspect_export, verify_export,
};

use proto::exposurenotification::TemporaryExposureKeyExport;

use serde::{Deserialize, Serialize};

use crate::{Language, Reason};

/// The outcome of checking one key bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Where it came from (server path or file name).
    pub source: String,
    /// What it holds: from the verified contents, or, when the signature
    /// failed but the contents could be read, the unverified contents.
    pub summary: Option<ExportSummary>,
    /// The key that verified it, or why it is not valid.
    pub outcome: Result<KeyIdentity, Failure>,
}

impl Checked {
    /// The outcome as the worker sends it to a page: the reason worded in
    /// both languages.
    pub fn report(self) -> CheckReport {
        CheckReport {
            source: self.source,
            summary: self.summary,
            outcome: self
                .outcome
                .map_err(|failure| Reason::of(|language| failure.describe(language))),
        }
    }
}

/// [`Checked`] as a page receives it from the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// Where it came from (server path or file name).
    pub source: String,
    /// What it holds (unverified when `outcome` is an error).
    pub summary: Option<ExportSummary>,
    /// The key that verified it, or why it is not valid.
    pub outcome: Result<KeyIdentity, Reason>,
}

/// Why a bundle is not valid.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `shared` refused it.
    Bundle(BundleError),
    /// It could not be downloaded or read (the reason as given).
    Unavailable(String),
}

impl Failure {
    /// The reason in `language`.
    pub fn describe(&self, language: Language) -> String {
        match self {
            Self::Bundle(error) => describe_bundle_error(error, language),
            Self::Unavailable(reason) => match language {
                Language::German => format!("nicht lesbar: {reason}"),
                Language::English => format!("not readable: {reason}"),
            },
        }
    }
}

/// Checks the bundle `bytes` against `ring`.
pub fn check(source: String, bytes: &[u8], ring: &KeyRing) -> Checked {
    check_keeping(source, bytes, ring).0
}

/// [`check`], also returning the verified export when it is valid (so
/// that its keys need not be decoded twice).
pub fn check_keeping(
    source: String,
    bytes: &[u8],
    ring: &KeyRing,
) -> (Checked, Option<TemporaryExposureKeyExport>) {
    match verify_export(bytes, ring) {
        Ok(verified) => (
            Checked {
                source,
                summary: Some(ExportSummary::of(&verified.export)),
                outcome: Ok(verified.signed_by),
            },
            Some(verified.export),
        ),
        Err(error) => (
            Checked {
                source,
                summary: inspect_export(bytes)
                    .ok()
                    .map(|contents| ExportSummary::of(&contents.export)),
                outcome: Err(Failure::Bundle(error)),
            },
            None,
        ),
    }
}

/// `BundleError` in German or English (its `Display` is the English).
pub fn describe_bundle_error(error: &BundleError, language: Language) -> String {
    if language == Language::English {
        return error.to_string();
    }
    match error {
        BundleError::NotAZip(detail) => format!("kein Zip-Archiv: {detail}"),
        BundleError::MissingEntry(name) => format!("dem Archiv fehlt der Eintrag {name}"),
        BundleError::UnexpectedEntry(name) => {
            format!("das Archiv enthält den unerwarteten Eintrag {name:?}")
        }
        BundleError::DuplicateEntry(names) => {
            format!("das Archiv enthält einen Eintrag mehrfach (Einträge: {names})")
        }
        BundleError::EntryTooLarge { name, limit } => {
            format!("{name} ist entpackt größer als {limit} Bytes")
        }
        BundleError::WrongHeader => {
            "export.bin beginnt nicht mit dem Kopf \"EK Export v1    \"".into()
        }
        BundleError::BadProtobuf { entry, reason } => {
            format!("{entry} ist keine gültige Protobuf-Nachricht: {reason}")
        }
        BundleError::SignatureCountMismatch { infos, signatures } => {
            format!("export.sig enthält {signatures} Signatur(en), export.bin kündigt {infos} an")
        }
        BundleError::NoKnownSignature(named) => {
            format!("keine Signatur stammt von einem bekannten Schlüssel (signiert von: {named})")
        }
        BundleError::UnsupportedAlgorithm(name) => {
            format!("nicht unterstütztes Signaturverfahren {name:?}")
        }
        BundleError::BatchMismatch { export, signature } => {
            format!("eine Signatur gilt für Teil {signature}, das Paket ist aber Teil {export}")
        }
        BundleError::MalformedSignature => {
            "eine Signatur ist keine DER-kodierte ECDSA-Signatur".into()
        }
        BundleError::SignatureMismatch {
            key_id,
            key_version,
        } => format!("die Signatur passt nicht (Schlüssel-ID {key_id:?}, Version {key_version:?})"),
    }
}

/// The names of the report types 0 to 5, short, for a chart.
pub fn report_type_names(language: Language) -> [&'static str; 6] {
    match language {
        Language::German => [
            "unbekannt",
            "Labortest",
            "klinisch",
            "selbst",
            "rekursiv",
            "widerrufen",
        ],
        Language::English => [
            "unknown",
            "lab test",
            "clinical",
            "self",
            "recursive",
            "revoked",
        ],
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use shared::bundle::archive::{read_archive, write_archive};
    use shared::bundle::{ExportSpec, Signer, build_export};
    use shared::keys::{DiagnosisKey, ReportType};

    /// A bundle of three keys signed by `signer`.
    pub(crate) fn bundle(signer: &Signer) -> Vec<u8> {
        let keys = (0..3u8)
            .map(|index| DiagnosisKey {
                key_data: [index; 16],
                transmission_risk_level: 6,
                rolling_start_interval_number: 2_946_672,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: None,
            })
            .collect();
        let spec = ExportSpec {
            region: "DE".into(),
            start_timestamp: 1_768_003_200,
            end_timestamp: 1_768_006_800,
            batch_num: 1,
            batch_size: 1,
            keys,
        };
        build_export(spec, &[signer]).expect("a valid bundle")
    }

    fn ring(signer: &Signer) -> KeyRing {
        let mut ring = KeyRing::new();
        ring.add(signer.identity().clone(), signer.verifying_key());
        ring
    }

    #[test]
    fn a_good_bundle_is_valid_with_its_contents() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let checked = check("b.zip".into(), &bundle(&signer), &ring(&signer));
        assert_eq!(checked.outcome, Ok(signer.identity().clone()));
        let summary = checked.summary.expect("contents");
        assert_eq!(summary.keys, 3);
        assert_eq!(summary.transmission_risk_levels[6], 3);
        assert_eq!(summary.report_types[1], 3);
    }

    #[test]
    fn a_tampered_bundle_is_invalid_and_says_why_in_both_languages() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let archive = read_archive(&bundle(&signer)).expect("a zip");
        let mut bin = archive.bin.clone();
        let last = bin.len() - 1;
        bin[last] ^= 1;
        let tampered = write_archive(&bin, &archive.sig);
        let checked = check("t.zip".into(), &tampered, &ring(&signer));
        let Err(failure) = &checked.outcome else {
            panic!("a tampered bundle verified");
        };
        assert!(matches!(
            failure,
            Failure::Bundle(BundleError::SignatureMismatch { .. })
        ));
        assert!(
            failure
                .describe(Language::German)
                .starts_with("die Signatur passt nicht")
        );
        assert!(
            failure
                .describe(Language::English)
                .starts_with("the signature does not match")
        );
        // The contents are still shown, marked as unverified by the caller.
        assert!(checked.summary.is_some());
    }

    #[test]
    fn a_bundle_of_another_key_names_the_signer() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let stranger = Signer::generate(KeyIdentity::new("XX", "v7"));
        let checked = check("s.zip".into(), &bundle(&stranger), &ring(&signer));
        let Err(Failure::Bundle(BundleError::NoKnownSignature(named))) = &checked.outcome else {
            panic!("unexpected {:?}", checked.outcome);
        };
        assert!(named.contains("XX"), "{named}");
    }

    #[test]
    fn not_a_zip_is_invalid_without_contents() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let checked = check("x".into(), b"hello", &ring(&signer));
        assert!(matches!(
            checked.outcome,
            Err(Failure::Bundle(BundleError::NotAZip(_)))
        ));
        assert!(checked.summary.is_none());
    }
}
