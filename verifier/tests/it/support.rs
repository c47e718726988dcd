//! A phone's day-by-day bundles and its observation log, signed like the
//! server signs them.

use shared::bundle::{ExportSpec, KeyIdentity, Signer, build_export};
use shared::en::matching::DAY_SECONDS;
use shared::en::simulate;
use verifier::job::JobSpec;
use verifier::keys::PublishedKey;

/// A job over `days` daily bundles of `keys_per_day` keys and a log of
/// `observations` beacons, and the number of keys the log met.
pub struct Fixture {
    pub spec: JobSpec,
    pub bundles: Vec<Vec<u8>>,
    pub keys_met: usize,
    pub signer: Signer,
}

pub fn fixture(days: u32, keys_per_day: u32, observations: usize, seed: u64) -> Fixture {
    let scenario = simulate::scenario(days, keys_per_day, observations, seed, 7..22);
    let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
    let per_day = keys_per_day.max(1) as usize;
    let bundles: Vec<Vec<u8>> = scenario
        .keys
        .chunks(per_day)
        .map(|keys| {
            let day = u64::from(keys[0].rolling_start_interval_number) * 600 / DAY_SECONDS;
            let spec = ExportSpec {
                region: "DE".into(),
                start_timestamp: day * DAY_SECONDS,
                end_timestamp: (day + 1) * DAY_SECONDS,
                batch_num: 1,
                batch_size: 1,
                keys: keys.to_vec(),
            };
            build_export(spec, &[&signer]).expect("a valid bundle")
        })
        .collect();
    let spec = JobSpec {
        keys: vec![PublishedKey::of(&signer)],
        pasted_key: String::new(),
        bundle_names: (0..bundles.len()).map(|day| format!("day-{day}")).collect(),
        log: scenario.log,
        now: scenario.now,
        parameters: None,
    };
    Fixture {
        spec,
        bundles,
        keys_met: scenario.keys_seen.len(),
        signer,
    }
}
