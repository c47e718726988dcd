//! Verifying a 600,000-key bundle in WebAssembly.

use shared::bundle::{
    KeyIdentity, KeyRing, MAX_KEYS_PER_BUNDLE, Signer, build_export, verify_export,
};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::now_ms;
use crate::support::{hourly_spec, random_keys};

#[wasm_bindgen_test]
fn verify_600_000_keys() {
    let signer = Signer::generate(KeyIdentity::new("262", "v1"));
    let mut ring = KeyRing::new();
    ring.add(signer.identity().clone(), signer.verifying_key());
    let spec = hourly_spec(random_keys(MAX_KEYS_PER_BUNDLE));
    let start = now_ms();
    let bundle = build_export(spec, &[&signer]).expect("bundle builds");
    let signed = now_ms();
    let mut runs = Vec::new();
    for _ in 0..5 {
        let before = now_ms();
        let verified = verify_export(&bundle, &ring).expect("bundle verifies");
        assert_eq!(verified.export.keys.len(), MAX_KEYS_PER_BUNDLE);
        runs.push(now_ms() - before);
    }
    runs.sort_by(f64::total_cmp);
    console_log!(
        "wasm bundle_600k: sign {:.0} ms, verify median {:.0} ms (min {:.0}, max {:.0}; {} bytes)",
        signed - start,
        runs[runs.len() / 2],
        runs[0],
        runs[runs.len() - 1],
        bundle.len()
    );
}
