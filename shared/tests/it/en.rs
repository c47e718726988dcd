//! Exposure Notification cryptography against the published test vectors.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde::Deserialize;
use shared::en::crypto::{
    AemCipher, Metadata, RpiCipher, TekKeys, aemk, derive_intervals, interval_number,
    interval_of_padded_data, padded_data, rpik,
};
use shared::en::{AesBackend, RpiDeriver};

use crate::support::skip;
use crate::testdata;

/// The first and last of the published values, written in so that the key
/// schedule is tested even where the test data is absent.
const TEK: &str = "75c734c6dd1a782de7a965da5eb93125";
const RPIK: &str = "185ad91db69ec7dd048960f1f3ba6175";
const AEMK: &str = "d57c46af7a1d83965b9bed8bd152936a";
const METADATA: &str = "40080000";
const START: u32 = 2_642_976;
const KEY_GENERATION_UNIX_SECONDS: u64 = 1_585_785_600;
const FIRST: (&str, &str) = ("8be6cd371c5c891604bfbe49df845096", "72033874");
const LAST: (&str, &str) = ("f431b62ecf443102ce4ed0407de54bd4", "1215e57e");

#[derive(Deserialize)]
struct Vectors {
    key_generation_unix_seconds: u64,
    start_interval_number: u32,
    rolling_period: u32,
    tek: String,
    rpik: String,
    aemk: String,
    ble_metadata: String,
    intervals: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    interval_number: u32,
    rpi: String,
    aem: String,
}

fn bytes<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).unwrap_or_else(|_| panic!("{text} is not {N} hex bytes"));
    out
}

#[test]
fn written_in_values_hold() {
    let tek = bytes::<16>(TEK);
    assert_eq!(rpik(&tek), bytes(RPIK));
    assert_eq!(aemk(&tek), bytes(AEMK));
    assert_eq!(interval_number(KEY_GENERATION_UNIX_SECONDS), Some(START));
    let keys = TekKeys::derive(&tek);
    let metadata = bytes::<4>(METADATA);
    for (interval, (rpi, aem)) in [(START, FIRST), (START + 143, LAST)] {
        let derived = keys.rpi_cipher().rpi(interval);
        assert_eq!(derived, bytes(rpi), "RPI of interval {interval}");
        assert_eq!(
            keys.aem_cipher().encrypt(&derived, &metadata),
            bytes(aem),
            "AEM of interval {interval}"
        );
    }
}

#[test]
fn all_published_vectors_hold() {
    let Some(json) = testdata!("gaen-crypto-vectors.json") else {
        return skip("all_published_vectors_hold");
    };
    let vectors: Vectors = serde_json::from_slice(json).expect("the vectors file parses");
    assert_eq!(vectors.intervals.len(), 144, "the file holds a whole day");
    assert_eq!(vectors.rolling_period, 144);
    let tek = bytes::<16>(&vectors.tek);
    let metadata = bytes::<4>(&vectors.ble_metadata);
    let keys = TekKeys::derive(&tek);
    assert_eq!(keys.rpik, bytes(&vectors.rpik), "RPIK");
    assert_eq!(keys.aemk, bytes(&vectors.aemk), "AEMK");
    assert_eq!(
        interval_number(vectors.key_generation_unix_seconds),
        Some(vectors.start_interval_number)
    );

    // Every way of deriving gives every published value.
    let listed = derive_intervals(&tek, vectors.start_interval_number, 144, Some(&metadata));
    let mut deriver = RpiDeriver::new();
    let consecutive = deriver
        .consecutive(&tek, vectors.start_interval_number, 144)
        .to_vec();
    let rpi_cipher = RpiCipher::new(&keys.rpik);
    let aem_cipher = AemCipher::new(&keys.aemk);
    let mut batch = vec![[0u8; 16]; 144];
    rpi_cipher.rpis(vectors.start_interval_number, &mut batch);
    for (index, vector) in vectors.intervals.iter().enumerate() {
        let name = format!("interval {}", vector.interval_number);
        let rpi = bytes::<16>(&vector.rpi);
        let aem = bytes::<4>(&vector.aem);
        assert_eq!(
            vector.interval_number,
            vectors.start_interval_number + index as u32
        );
        assert_eq!(
            rpi_cipher.rpi(vector.interval_number),
            rpi,
            "{name}: single RPI"
        );
        assert_eq!(batch[index], rpi, "{name}: batched RPI");
        assert_eq!(consecutive[index], rpi, "{name}: deriver RPI");
        assert_eq!(listed[index].interval, vector.interval_number, "{name}");
        assert_eq!(listed[index].rpi, rpi, "{name}: listed RPI");
        assert_eq!(listed[index].aem, Some(aem), "{name}: listed AEM");
        assert_eq!(aem_cipher.encrypt(&rpi, &metadata), aem, "{name}: AEM");
        assert_eq!(
            aem_cipher.decrypt(&rpi, &aem),
            Metadata(metadata),
            "{name}: metadata"
        );
    }

    // The sparse path, in an arbitrary order, gives the same RPIs.
    let order: Vec<u32> = (0..144u32).map(|index| (index * 89) % 144).collect();
    let selected = deriver
        .selected(
            &tek,
            order
                .iter()
                .map(|offset| vectors.start_interval_number + offset),
        )
        .to_vec();
    for (offset, rpi) in order.iter().zip(&selected) {
        assert_eq!(
            rpi,
            &bytes(&vectors.intervals[*offset as usize].rpi),
            "selected {offset}"
        );
    }
}

#[test]
fn published_metadata_is_version_1_at_8_dbm() {
    let metadata = Metadata(bytes(METADATA));
    assert_eq!((metadata.version_major(), metadata.version_minor()), (1, 0));
    assert_eq!(metadata.tx_power(), 8);
}

#[test]
fn batches_of_every_length_agree_with_single_blocks() {
    // Lengths around the batch sizes of every AES backend (4, 8, 64), where
    // remainders are padded or done one block at a time.
    let tek = bytes::<16>(TEK);
    let cipher = RpiCipher::new(&bytes(RPIK));
    let mut deriver = RpiDeriver::new();
    for count in [
        0u32, 1, 3, 4, 5, 7, 8, 9, 16, 17, 31, 48, 63, 64, 65, 100, 143, 144, 200,
    ] {
        let mut batch = vec![[0u8; 16]; count as usize];
        cipher.rpis(START, &mut batch);
        let selected = deriver.selected(&tek, START..START + count).to_vec();
        for (offset, (rpi, other)) in (0u32..).zip(batch.iter().zip(&selected)) {
            let single = cipher.rpi(START + offset);
            assert_eq!(rpi, &single, "count {count}, offset {offset}");
            assert_eq!(other, &single, "count {count}, offset {offset}, selected");
        }
    }
}

#[test]
fn padded_data_spells_the_interval_little_endian() {
    assert_eq!(
        padded_data(0x0102_0304),
        *b"EN-RPI\0\0\0\0\0\0\x04\x03\x02\x01"
    );
}

#[test]
fn every_aes_backend_derives_and_recognises_the_same_rpis() {
    for &backend in AesBackend::all() {
        let mut deriver = RpiDeriver::with_backend(backend);
        for seed in 0..20u8 {
            let tek: [u8; 16] =
                std::array::from_fn(|index| seed.wrapping_mul(97) ^ (index as u8).wrapping_mul(31));
            let start = START + u32::from(seed) * 144;
            let cipher = TekKeys::derive(&tek).rpi_cipher();
            // Lengths around every backend's batch (8 for SIMD and AES-NI, 64 for VAES).
            let count = [144, 1, 7, 8, 9, 63, 65][usize::from(seed) % 7];
            let rpis = deriver.consecutive(&tek, start, count).to_vec();
            for (offset, rpi) in (0..count).zip(&rpis) {
                assert_eq!(
                    *rpi,
                    cipher.rpi(start + offset),
                    "{backend:?}, TEK {seed}, offset {offset}"
                );
            }
            let plaintexts = deriver.decrypted(&tek, rpis.iter().copied()).to_vec();
            for (offset, plaintext) in (0..count).zip(&plaintexts) {
                assert_eq!(
                    interval_of_padded_data(plaintext),
                    Some(start + offset),
                    "{backend:?} decrypts"
                );
            }
        }
    }
    assert!(AesBackend::all().contains(&AesBackend::fastest()));
}
