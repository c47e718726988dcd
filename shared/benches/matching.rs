//! RPI derivation and matching, natively (issue 3; figures in BENCHMARKS.md).
//!
//! Targets: dense RPI derivation at least 250 million RPIs per second per
//! core; 14 days × 30,000 diagnosis keys against 2,000 observed beacons in
//! under a second. The variants of each group run side by side in one run,
//! since these machines are noisy.
//!
//! `cargo bench -p shared --bench matching`

// Criterion runs natively only; the browser's figures come from
// `tests/it/speed.rs`. On wasm32 this target builds to an empty program.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
    use criterion::{Criterion, Throughput, criterion_group};
    use shared::en::crypto::{RpiCipher, TekKeys, padded_data};
    use shared::en::matching::MatchStrategy;
    use shared::en::simulate::{self, SplitMix64};
    use shared::en::{AesBackend, MatchOptions, RpiDeriver, match_keys};

    const KEYS: usize = 2_000;
    const START: u32 = 2_937_888;

    fn teks() -> Vec<[u8; 16]> {
        let mut random = SplitMix64(1);
        (0..KEYS).map(|_| random.key()).collect()
    }

    /// The dense path: all 144 RPIs of each key.
    fn rpi_derivation(c: &mut Criterion) {
        let teks = teks();
        let mut group = c.benchmark_group("rpis_2000_keys");
        group.throughput(Throughput::Elements((KEYS * 144) as u64));
        group.sample_size(30);

        for (name, backend) in [
            ("tek_to_rpis/aes_instructions", AesBackend::AesCrate),
            ("tek_to_rpis/lookup_tables", AesBackend::Tables),
        ] {
            let mut deriver = RpiDeriver::with_backend(backend);
            group.bench_function(name, |b| {
                b.iter(|| {
                    let mut fold = 0u8;
                    for tek in &teks {
                        fold ^= deriver.consecutive(tek, START, 144)[143][0];
                    }
                    black_box(fold)
                })
            });
        }

        // The dense path for many keys: their HKDFs interleaved (SHA-NI),
        // then each key's 144 blocks.
        let mut deriver = RpiDeriver::with_backend(AesBackend::AesCrate);
        let mut rpiks = Vec::with_capacity(KEYS);
        group.bench_function("tek_to_rpis/aes_instructions_interleaved_hkdf", |b| {
            b.iter(|| {
                rpiks.clear();
                deriver.rpiks(&teks, &mut rpiks);
                let mut fold = 0u8;
                for rpik in &rpiks {
                    fold ^= deriver.selected_with_rpik(rpik, START..START + 144)[143][0];
                }
                black_box(fold)
            })
        });

        // AES alone: the RPIKs derived beforehand.
        let ciphers: Vec<RpiCipher> = teks
            .iter()
            .map(|tek| TekKeys::derive(tek).rpi_cipher())
            .collect();
        let mut out = vec![[0u8; 16]; 144];
        group.bench_function("rpik_to_rpis/aes_instructions", |b| {
            b.iter(|| {
                let mut fold = 0u8;
                for cipher in &ciphers {
                    cipher.rpis(START, &mut out);
                    fold ^= out[143][0];
                }
                black_box(fold)
            })
        });

        // HKDF alone (both keys: 8 compressions, matching needs 6), to show
        // what the per-key part costs.
        let deriver = RpiDeriver::new();
        group.bench_function("hkdf_both_keys", |b| {
            b.iter(|| {
                let mut fold = 0u8;
                for tek in &teks {
                    fold ^= deriver.tek_keys(tek).rpik[0];
                }
                black_box(fold)
            })
        });

        // The straightforward way, for comparison: the hkdf crate, then
        // `encrypt_blocks` over the 144 blocks of each key.
        group.bench_function("tek_to_rpis/naive_hkdf_crate", |b| {
            let mut blocks = vec![Array([0u8; 16]); 144];
            b.iter(|| {
                let mut fold = 0u8;
                for tek in &teks {
                    let mut rpik = [0u8; 16];
                    hkdf::Hkdf::<sha2::Sha256>::new(None, tek)
                        .expand(b"EN-RPIK", &mut rpik)
                        .expect("16 bytes is a valid length");
                    let aes = aes::Aes128Enc::new(&Array(rpik));
                    for (offset, block) in (0u32..).zip(blocks.iter_mut()) {
                        *block = Array(padded_data(START + offset));
                    }
                    aes.encrypt_blocks(&mut blocks);
                    fold ^= blocks[143][0];
                }
                black_box(fold)
            })
        });
        group.finish();
    }

    /// 14 days × 30,000 keys against 2,000 beacons: the log sparse (encounters
    /// between 07:00 and 22:00) and dense (around the clock), each with the
    /// three strategies.
    fn matching(c: &mut Criterion) {
        let mut group = c.benchmark_group("match_14_days_x_30000_keys_2000_beacons");
        group.sample_size(10);
        for (log, hours) in [("sparse_log", 7..22), ("dense_log", 0..24)] {
            let scenario = simulate::scenario(14, 30_000, 2_000, 3, hours);
            for (name, strategy) in [
                ("cheapest", MatchStrategy::Cheapest),
                ("derive_intervals", MatchStrategy::DeriveIntervals),
                ("decrypt_observations", MatchStrategy::DecryptObservations),
            ] {
                let options = MatchOptions {
                    strategy,
                    ..MatchOptions::at(scenario.now)
                };
                let matches =
                    match_keys(&scenario.keys, &scenario.log, &options).expect("the log is valid");
                assert!(
                    matches.keys_matched > 0,
                    "the scenario meets some diagnosis keys"
                );
                group.bench_function(format!("{log}/{name}"), |b| {
                    b.iter(|| {
                        match_keys(&scenario.keys, &scenario.log, &options)
                            .expect("the log is valid")
                    })
                });
            }
        }
        group.finish();
    }

    criterion_group!(benches, rpi_derivation, matching);

    /// `criterion_main!`, spelled out so that it can live in this module.
    pub fn main() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
