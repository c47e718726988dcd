//! The EFGS wire format written and read by hand, field by field from the
//! official numbers (`src/main/proto/Efgs.proto` of
//! eu-federation-gateway-service/efgs-federation-gateway, with
//! `days_since_onset_of_symptoms` a `sint32` since its PR #101, as in
//! cwa-server's `diagnosis_key_batch.proto`), and the canonical signed
//! bytes as `BatchSignatureUtils` computes them: independent of the
//! server's own types, so a test sees what a real member would send and get.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One key, every field as a member writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// 1: bytes.
    pub key_data: Vec<u8>,
    /// 2: uint32.
    pub rolling_start_interval_number: u32,
    /// 3: uint32.
    pub rolling_period: u32,
    /// 4: int32.
    pub transmission_risk_level: i32,
    /// 5: repeated string.
    pub visited_countries: Vec<String>,
    /// 6: string.
    pub origin: String,
    /// 7: enum ReportType.
    pub report_type: i32,
    /// 8: sint32.
    pub days_since_onset_of_symptoms: i32,
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn tag(out: &mut Vec<u8>, field: u64, wire: u64) {
    varint(out, (field << 3) | wire);
}

fn bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    tag(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A `DiagnosisKeyBatch` (field 1: repeated DiagnosisKey) in protobuf.
pub fn encode(keys: &[Key]) -> Vec<u8> {
    let mut out = Vec::new();
    for key in keys {
        let mut inner = Vec::new();
        if !key.key_data.is_empty() {
            bytes_field(&mut inner, 1, &key.key_data);
        }
        for (field, value) in [
            (2, u64::from(key.rolling_start_interval_number)),
            (3, u64::from(key.rolling_period)),
            // int32 and enum: negative values sign-extended to 64 bits.
            (4, key.transmission_risk_level as i64 as u64),
        ] {
            if value != 0 {
                tag(&mut inner, field, 0);
                varint(&mut inner, value);
            }
        }
        for country in &key.visited_countries {
            bytes_field(&mut inner, 5, country.as_bytes());
        }
        if !key.origin.is_empty() {
            bytes_field(&mut inner, 6, key.origin.as_bytes());
        }
        if key.report_type != 0 {
            tag(&mut inner, 7, 0);
            varint(&mut inner, key.report_type as i64 as u64);
        }
        if key.days_since_onset_of_symptoms != 0 {
            let value = key.days_since_onset_of_symptoms;
            tag(&mut inner, 8, 0);
            varint(&mut inner, u64::from(((value << 1) ^ (value >> 31)) as u32));
        }
        bytes_field(&mut out, 1, &inner);
    }
    out
}

fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

/// Field number, wire type and value (varint, or the bytes) of each field.
fn fields(bytes: &[u8]) -> Vec<(u64, u64, u64, Vec<u8>)> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < bytes.len() {
        let key = read_varint(bytes, &mut at);
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => out.push((field, wire, read_varint(bytes, &mut at), Vec::new())),
            2 => {
                let length = read_varint(bytes, &mut at) as usize;
                out.push((field, wire, 0, bytes[at..at + length].to_vec()));
                at += length;
            }
            other => panic!("unexpected wire type {other}"),
        }
    }
    out
}

/// A `DiagnosisKeyBatch` read from protobuf, as a member reads it.
pub fn decode(bytes: &[u8]) -> Vec<Key> {
    let mut keys = Vec::new();
    for (field, wire, _, inner) in fields(bytes) {
        assert_eq!((field, wire), (1, 2), "a batch holds only keys");
        let mut key = Key {
            key_data: Vec::new(),
            rolling_start_interval_number: 0,
            rolling_period: 0,
            transmission_risk_level: 0,
            visited_countries: Vec::new(),
            origin: String::new(),
            report_type: 0,
            days_since_onset_of_symptoms: 0,
        };
        for (field, _, number, bytes) in fields(&inner) {
            match field {
                1 => key.key_data = bytes,
                2 => key.rolling_start_interval_number = number as u32,
                3 => key.rolling_period = number as u32,
                4 => key.transmission_risk_level = number as i32,
                5 => key
                    .visited_countries
                    .push(String::from_utf8(bytes).expect("UTF-8")),
                6 => key.origin = String::from_utf8(bytes).expect("UTF-8"),
                7 => key.report_type = number as i32,
                8 => {
                    let raw = number as u32;
                    key.days_since_onset_of_symptoms = ((raw >> 1) as i32) ^ -((raw & 1) as i32);
                }
                other => panic!("unknown field {other}"),
            }
        }
        keys.push(key);
    }
    keys
}

/// The signed record of a key (`BatchSignatureUtils.generateBytesToVerify`).
pub fn record(key: &Key) -> Vec<u8> {
    let mut out = Vec::new();
    let mut field = |bytes: &[u8]| {
        out.extend_from_slice(STANDARD.encode(bytes).as_bytes());
        out.push(b'.');
    };
    field(&key.key_data);
    field(&key.rolling_start_interval_number.to_be_bytes());
    field(&key.rolling_period.to_be_bytes());
    field(&key.transmission_risk_level.to_be_bytes());
    field(key.visited_countries.join(",").as_bytes());
    field(key.origin.as_bytes());
    field(&key.report_type.to_be_bytes());
    field(&key.days_since_onset_of_symptoms.to_be_bytes());
    out
}

/// The canonical bytes of a batch: records sorted by their base64.
pub fn canonical(keys: &[Key]) -> Vec<u8> {
    let mut records: Vec<(String, Vec<u8>)> = keys
        .iter()
        .map(|key| {
            let record = record(key);
            (STANDARD.encode(&record), record)
        })
        .collect();
    records.sort();
    records.into_iter().flat_map(|(_, record)| record).collect()
}

/// `count` keys of `origin` of the last days, with random key data.
pub fn keys(count: usize, origin: &str, visited: &[&str]) -> Vec<Key> {
    let today = u32::try_from(api::clock::now() / 86_400 * 144).expect("fits");
    (0..count)
        .map(|index| {
            let key_data = shared::random::bytes::<16>().to_vec();
            Key {
                key_data,
                rolling_start_interval_number: today - 144 * (index as u32 % 10),
                rolling_period: 144,
                transmission_risk_level: (index % 9) as i32,
                visited_countries: visited.iter().map(|code| (*code).to_owned()).collect(),
                origin: origin.to_owned(),
                report_type: 1,
                days_since_onset_of_symptoms: (index % 29) as i32 - 14,
            }
        })
        .collect()
}

/// The body and the signature (over [`canonical`]) by `signer`'s certificate.
pub fn signed(keys: &[Key], dir: &std::path::Path, signer: &str) -> (Vec<u8>, String) {
    let identity = api::federation::certs::Identity::in_dir(dir, signer).expect("identity");
    let signature = api::federation::signature::sign(&canonical(keys), &identity).expect("signed");
    (encode(keys), signature)
}
