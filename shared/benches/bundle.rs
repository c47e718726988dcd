//! Signing and verifying a bundle of 600,000 keys (the per-file maximum).
//!
//! Targets (DEVELOPERS.md / issue 2): sign at most 1 s, verify at most 0.3 s.

#[path = "support/keys.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use shared::bundle::archive::read_archive;
use shared::bundle::{
    KeyIdentity, KeyRing, MAX_KEYS_PER_BUNDLE, Signer, build_export, verify_export,
};
use support::{hourly_spec, random_keys};

fn bundle_600k(c: &mut Criterion) {
    let signer = Signer::generate(KeyIdentity::new("262", "v1"));
    let mut ring = KeyRing::new();
    ring.add(signer.identity().clone(), signer.verifying_key());
    let keys = random_keys(MAX_KEYS_PER_BUNDLE);
    let bundle = build_export(hourly_spec(keys.clone()), &[&signer]).expect("bundle builds");

    let mut group = c.benchmark_group("bundle_600k");
    group.sample_size(10);
    group.bench_function("sign", |b| {
        b.iter_batched(
            || hourly_spec(keys.clone()),
            |spec| build_export(spec, &[&signer]).expect("bundle builds"),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("verify", |b| {
        b.iter(|| verify_export(&bundle, &ring).expect("bundle verifies"))
    });
    // The floor under `verify`: inflating the archive and hashing export.bin,
    // which any verifier must do. Measured in the same run, so the ratio
    // verify / floor says what parsing and the rest cost, whatever the noise.
    group.bench_function("verify_floor_inflate_and_hash", |b| {
        b.iter(|| {
            let archive = read_archive(&bundle).expect("archive reads");
            Sha256::digest(&archive.bin)
        })
    });
    group.finish();
}

criterion_group!(benches, bundle_600k);
criterion_main!(benches);
