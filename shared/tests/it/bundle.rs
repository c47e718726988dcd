//! Export bundles: round trips, the published bundles, tampering, hostile input.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::io::Write;

use shared::bundle::archive::{Archive, EXPORT_BIN, EXPORT_SIG, read_archive, write_archive};
use shared::bundle::{
    BuildError, BundleError, EXPORT_HEADER, ExportSpec, KeyIdentity, KeyRing, Signer, build_export,
    inspect_export, verify_export,
};
use shared::keys::{DiagnosisKey, KeysFile, ReportType};

use crate::support::skip;
use crate::testdata;

fn key(seed: u8, trl: i64) -> DiagnosisKey {
    let mut data = [0u8; 16];
    for (index, byte) in data.iter_mut().enumerate() {
        *byte = seed.wrapping_mul(31).wrapping_add(index as u8 * 7);
    }
    DiagnosisKey::new(shared::keys::KeyFields {
        key_data: data,
        transmission_risk_level: trl,
        rolling_start_interval_number: 2_940_048,
        rolling_period: 144,
        report_type: ReportType::ConfirmedTest,
        days_since_onset_of_symptoms: Some(2),
    })
    .unwrap()
}

fn spec(keys: Vec<DiagnosisKey>) -> ExportSpec {
    ExportSpec {
        region: "DE".into(),
        start_timestamp: 1_764_288_000,
        end_timestamp: 1_764_291_600,
        batch_num: 1,
        batch_size: 1,
        keys,
    }
}

fn signer() -> Signer {
    Signer::generate(KeyIdentity::new("262", "v1"))
}

fn ring_of(signer: &Signer) -> KeyRing {
    let mut ring = KeyRing::new();
    ring.add(signer.identity().clone(), signer.verifying_key());
    ring
}

#[test]
fn signed_bundle_verifies_and_gives_back_what_went_in() {
    let signer = signer();
    let keys: Vec<_> = (0..20)
        .map(|seed| key(seed, 1 + i64::from(seed % 8)))
        .collect();
    let bundle = build_export(spec(keys.clone()), &[&signer]).unwrap();

    let verified = verify_export(&bundle, &ring_of(&signer)).unwrap();
    assert_eq!(verified.signed_by, KeyIdentity::new("262", "v1"));
    let export = &verified.export;
    assert_eq!(export.region(), "DE");
    assert_eq!(export.start_timestamp(), 1_764_288_000);
    assert_eq!(export.end_timestamp(), 1_764_291_600);
    assert_eq!((export.batch_num(), export.batch_size()), (1, 1));

    let mut expected = keys;
    expected.sort_by_key(|key| key.key_data);
    let got: Vec<_> = export
        .keys
        .iter()
        .map(|key| DiagnosisKey::from_proto(key).unwrap())
        .collect();
    assert_eq!(
        got, expected,
        "keys come back sorted by key data, unchanged"
    );

    let inspected = inspect_export(&bundle).unwrap();
    assert_eq!(&inspected.export, export);
    assert_eq!(inspected.signatures.signatures.len(), 1);
}

#[test]
fn same_content_gives_the_same_bytes() {
    let signer = signer();
    let keys: Vec<_> = (0..5).map(|seed| key(seed, 3)).collect();
    let first = build_export(spec(keys.clone()), &[&signer]).unwrap();
    let mut reversed = keys;
    reversed.reverse();
    let second = build_export(spec(reversed), &[&signer]).unwrap();
    assert_eq!(first, second, "deterministic signatures and sorted keys");
}

#[test]
fn bundle_signed_with_another_key_is_refused() {
    let bundle = build_export(spec(vec![key(1, 1)]), &[&signer()]).unwrap();
    let other = Signer::generate(KeyIdentity::new("262", "v1"));
    assert_eq!(
        verify_export(&bundle, &ring_of(&other)),
        Err(BundleError::SignatureMismatch {
            key_id: "262".into(),
            key_version: "v1".into()
        })
    );
}

#[test]
fn bundle_naming_an_unknown_key_is_refused() {
    let bundle = build_export(spec(vec![key(1, 1)]), &[&signer()]).unwrap();
    let stranger = Signer::generate(KeyIdentity::new("208", "v1"));
    assert_eq!(
        verify_export(&bundle, &ring_of(&stranger)),
        Err(BundleError::NoKnownSignature("262/v1".into()))
    );
    assert!(matches!(
        verify_export(&bundle, &KeyRing::new()),
        Err(BundleError::NoKnownSignature(_))
    ));
}

#[test]
fn any_of_several_signatures_may_verify() {
    let old = Signer::generate(KeyIdentity::new("262", "v1"));
    let new = Signer::generate(KeyIdentity::new("262", "v2"));
    let bundle = build_export(spec(vec![key(1, 1)]), &[&old, &new]).unwrap();
    assert_eq!(
        verify_export(&bundle, &ring_of(&new)).unwrap().signed_by,
        KeyIdentity::new("262", "v2")
    );
    assert_eq!(
        verify_export(&bundle, &ring_of(&old)).unwrap().signed_by,
        KeyIdentity::new("262", "v1")
    );
}

#[test]
fn pem_round_trip_keeps_key_and_identity() {
    let signer = signer();
    let again = Signer::from_pkcs8_pem(&signer.to_pkcs8_pem(), signer.identity().clone()).unwrap();
    let bundle = build_export(spec(vec![key(9, 2)]), &[&again]).unwrap();
    let mut ring = KeyRing::new();
    ring.add_pem(&signer.public_key_pem()).unwrap();
    assert_eq!(
        verify_export(&bundle, &ring).unwrap().signed_by,
        *signer.identity()
    );

    let mut wrong_version = KeyRing::new();
    wrong_version
        .add_pem(
            &signer
                .public_key_pem()
                .replace("Key-Version: v1", "Key-Version: v9"),
        )
        .unwrap();
    assert!(matches!(
        verify_export(&bundle, &wrong_version),
        Err(BundleError::NoKnownSignature(_))
    ));
    assert!(KeyRing::new().add_pem("not a key").is_err());
}

#[test]
fn build_refuses_bad_specs() {
    let signer = signer();
    let mut backwards = spec(vec![key(1, 1)]);
    backwards.end_timestamp = backwards.start_timestamp - 1;
    assert!(matches!(
        build_export(backwards, &[&signer]),
        Err(BuildError::TimeWindow { .. })
    ));
    let mut batch = spec(vec![key(1, 1)]);
    batch.batch_num = 2;
    assert_eq!(
        build_export(batch, &[&signer]),
        Err(BuildError::Batch { num: 2, size: 1 })
    );
    assert_eq!(
        build_export(spec(vec![key(1, 1), key(1, 2)]), &[&signer]),
        Err(BuildError::DuplicateKey)
    );
    assert_eq!(build_export(spec(vec![]), &[]), Err(BuildError::NoSigner));
}

#[test]
fn empty_bundle_is_valid() {
    let signer = signer();
    let bundle = build_export(spec(vec![]), &[&signer]).unwrap();
    assert!(
        verify_export(&bundle, &ring_of(&signer))
            .unwrap()
            .export
            .keys
            .is_empty()
    );
}

/// Every single-byte change of either entry is caught. Run natively over
/// every byte and every one of three replacement values; in the browser over
/// every byte with one value (the loop is the same code).
#[test]
fn every_single_byte_change_is_rejected() {
    let signer = signer();
    let ring = ring_of(&signer);
    let keys: Vec<_> = (0..3).map(|seed| key(seed, 5)).collect();
    let bundle = build_export(spec(keys), &[&signer]).unwrap();
    let Archive { bin, sig } = read_archive(&bundle).unwrap();
    let flips: &[u8] = if cfg!(target_arch = "wasm32") {
        &[0x01]
    } else {
        &[0x01, 0x80, 0xff]
    };
    for (entry, original) in [(EXPORT_BIN, &bin), (EXPORT_SIG, &sig)] {
        for position in 0..original.len() {
            for flip in flips {
                let mut changed = original.clone();
                changed[position] ^= flip;
                let (bin, sig) = if entry == EXPORT_BIN {
                    (changed.as_slice(), sig.as_slice())
                } else {
                    (bin.as_slice(), changed.as_slice())
                };
                let result = verify_export(&write_archive(bin, sig), &ring);
                assert!(
                    result.is_err(),
                    "{entry} byte {position} xor {flip:#04x} was accepted"
                );
            }
        }
    }
}

#[test]
fn published_server_example_verifies_with_its_key_only() {
    let (Some(bundle), Some(public), Some(wrong), Some(keys_json)) = (
        testdata!("bundles/google-en-server-example/testExport-2-records-1-of-1.zip"),
        testdata!("bundles/google-en-server-example/public.pem"),
        testdata!("bundles/google-en-internals-sample/wrong-key-ExampleServer-v1.pem"),
        testdata!("bundles/google-en-server-example/keys.json"),
    ) else {
        return skip("published_server_example_verifies_with_its_key_only");
    };
    let mut ring = KeyRing::new();
    ring.add_pem(std::str::from_utf8(public).unwrap()).unwrap();
    let verified = verify_export(bundle, &ring).unwrap();
    assert_eq!(verified.signed_by, KeyIdentity::new("some_id", "1"));
    assert_eq!(verified.export.region(), "US");

    // The bundle holds exactly the published keys.
    let file: KeysFile = serde_json::from_slice(keys_json).unwrap();
    let mut expected: Vec<_> = file
        .into_keys()
        .unwrap()
        .into_iter()
        .map(|key| {
            (
                key.key_data,
                key.rolling_start_interval_number,
                key.rolling_period,
                key.transmission_risk_level,
            )
        })
        .collect();
    expected.sort();
    let mut got: Vec<_> = verified
        .export
        .keys
        .iter()
        .map(|key| {
            let key = DiagnosisKey::from_proto(key).unwrap();
            (
                key.key_data,
                key.rolling_start_interval_number,
                key.rolling_period,
                key.transmission_risk_level,
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);

    let mut wrong_ring = KeyRing::new();
    wrong_ring
        .add_pem(std::str::from_utf8(wrong).unwrap())
        .unwrap();
    assert!(matches!(
        verify_export(bundle, &wrong_ring),
        Err(BundleError::SignatureMismatch { .. })
    ));
}

#[test]
fn published_internals_sample_verifies_with_its_key_only() {
    let (Some(bundle), Some(public), Some(wrong)) = (
        testdata!("bundles/google-en-internals-sample/sample_diagnosis_key_file.zip"),
        testdata!("bundles/google-en-internals-sample/public-310-v1.pem"),
        testdata!("bundles/google-en-internals-sample/wrong-key-ExampleServer-v1.pem"),
    ) else {
        return skip("published_internals_sample_verifies_with_its_key_only");
    };
    let mut ring = KeyRing::new();
    ring.add_pem(std::str::from_utf8(public).unwrap()).unwrap();
    let verified = verify_export(bundle, &ring).unwrap();
    assert_eq!(verified.signed_by, KeyIdentity::new("310", "v1"));
    assert_eq!(verified.export.keys.len(), 140);
    assert_eq!(verified.export.region(), "US");

    let mut wrong_ring = KeyRing::new();
    wrong_ring
        .add_pem(std::str::from_utf8(wrong).unwrap())
        .unwrap();
    assert!(matches!(
        verify_export(bundle, &wrong_ring),
        Err(BundleError::SignatureMismatch { .. })
    ));
}

/// Builds a zip by hand with the given entries (names may repeat), stored
/// without compression, so the reader's checks are tested on any layout.
fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let mut header = Vec::new();
        header.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        header.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        header.extend_from_slice(&crc.to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]);
        central.extend_from_slice(&[0; 4]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn garbage_gives_typed_errors() {
    let ring = ring_of(&signer());
    let bin = [EXPORT_HEADER.as_slice(), &[0x1a, 0x02, b'D', b'E']].concat();
    /// A case: name, input, and what the error must be.
    type Case = (&'static str, Vec<u8>, fn(&BundleError) -> bool);
    let cases: Vec<Case> = vec![
        ("empty input", vec![], |e| {
            matches!(e, BundleError::NotAZip(_))
        }),
        (
            "random bytes",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            |e| matches!(e, BundleError::NotAZip(_)),
        ),
        (
            "truncated zip",
            write_archive(&bin, b"")[..40].to_vec(),
            |e| matches!(e, BundleError::NotAZip(_)),
        ),
        ("no export.sig", raw_zip(&[(EXPORT_BIN, &bin)]), |e| {
            *e == BundleError::MissingEntry(EXPORT_SIG)
        }),
        ("no export.bin", raw_zip(&[(EXPORT_SIG, b"")]), |e| {
            *e == BundleError::MissingEntry(EXPORT_BIN)
        }),
        (
            "extra entry",
            raw_zip(&[(EXPORT_BIN, &bin), (EXPORT_SIG, b""), ("readme.txt", b"hi")]),
            |e| matches!(e, BundleError::UnexpectedEntry(name) if name == "readme.txt"),
        ),
        (
            "duplicate entry",
            raw_zip(&[(EXPORT_BIN, &bin), (EXPORT_SIG, b""), (EXPORT_BIN, &bin)]),
            |e| matches!(e, BundleError::DuplicateEntry(_)),
        ),
        (
            "wrong header",
            write_archive(b"EK Export v2    ", b""),
            |e| *e == BundleError::WrongHeader,
        ),
        ("short header", write_archive(b"EK", b""), |e| {
            *e == BundleError::WrongHeader
        }),
        (
            "truncated export protobuf",
            write_archive(
                &[EXPORT_HEADER.as_slice(), &[0x1a, 0x05, b'D']].concat(),
                b"",
            ),
            |e| matches!(e, BundleError::BadProtobuf { entry, .. } if *entry == EXPORT_BIN),
        ),
        (
            "truncated signature protobuf",
            write_archive(&bin, &[0x0a, 0x40, 0x01]),
            |e| matches!(e, BundleError::BadProtobuf { entry, .. } if *entry == EXPORT_SIG),
        ),
        (
            "signatures without infos",
            write_archive(&bin, &[0x0a, 0x00]),
            |e| {
                *e == BundleError::SignatureCountMismatch {
                    infos: 0,
                    signatures: 1,
                }
            },
        ),
        ("no signature at all", write_archive(&bin, b""), |e| {
            matches!(e, BundleError::NoKnownSignature(_))
        }),
    ];
    for (name, input, expected) in cases {
        match verify_export(&input, &ring) {
            Err(error) if expected(&error) => {}
            other => panic!("{name}: unexpected result {other:?}"),
        }
    }
}

#[test]
fn zip_bomb_is_refused_before_it_is_inflated() {
    // 65 MiB of zeros deflate to about 64 KiB: more than export.bin may hold.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(EXPORT_BIN, options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..65 {
        zip.write_all(&chunk).unwrap();
    }
    zip.start_file(EXPORT_SIG, options).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert!(
        bytes.len() < 1 << 20,
        "the bomb is small: {} bytes",
        bytes.len()
    );
    assert!(matches!(
        verify_export(&bytes, &KeyRing::new()),
        Err(BundleError::EntryTooLarge { name, .. }) if name == EXPORT_BIN
    ));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn bundle_of_600_000_keys_builds_and_verifies() {
    use shared::bundle::MAX_KEYS_PER_BUNDLE;
    let signer = signer();
    let keys: Vec<_> = (0..MAX_KEYS_PER_BUNDLE as u32)
        .map(|index| {
            let mut data = [0u8; 16];
            data[..4].copy_from_slice(&index.wrapping_mul(2_654_435_761).to_be_bytes());
            data[4..8].copy_from_slice(&index.to_le_bytes());
            DiagnosisKey::new(shared::keys::KeyFields {
                key_data: data,
                transmission_risk_level: 1 + i64::from(index % 8),
                rolling_start_interval_number: 2_940_048,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: None,
            })
            .unwrap()
        })
        .collect();
    let bundle = build_export(spec(keys), &[&signer]).unwrap();
    let verified = verify_export(&bundle, &ring_of(&signer)).unwrap();
    assert_eq!(verified.export.keys.len(), MAX_KEYS_PER_BUNDLE);
    let sorted = verified
        .export
        .keys
        .windows(2)
        .all(|pair| pair[0].key_data() < pair[1].key_data());
    assert!(sorted, "keys are strictly sorted by key data");

    let one_more = (0..=MAX_KEYS_PER_BUNDLE as u32)
        .map(|index| {
            let mut data = [0u8; 16];
            data[..4].copy_from_slice(&index.to_be_bytes());
            DiagnosisKey::new(shared::keys::KeyFields {
                key_data: data,
                transmission_risk_level: 1,
                rolling_start_interval_number: 0,
                rolling_period: 144,
                report_type: ReportType::Unknown,
                days_since_onset_of_symptoms: None,
            })
            .unwrap()
        })
        .collect();
    assert!(matches!(
        build_export(spec(one_more), &[&signer]),
        Err(BuildError::TooManyKeys { .. })
    ));
}
