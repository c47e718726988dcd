//! One distribution run: read the keys, plan, sign, publish bundles, then
//! indexes, then delete what left the window, and record the run.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use shared::bundle::{BuildError, ExportSpec, KeyIdentity, MAX_KEYS_PER_BUNDLE, build_export};
use shared::paths;

use super::plan::{self, HOUR, HOURS_PER_DAY, Plan, PlanRules};
use super::publish::{Outcome, PublishError, Publisher};
use super::signing::{KeyError, SigningKeys};
use super::store::{self, PublishableKey, ReadError};
use crate::config::CountryCode;
use crate::db::Db;

/// What one run is told.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Unix seconds the run takes as now.
    pub now: i64,
    /// Fewest keys an hourly bundle may carry.
    pub min_keys: usize,
    /// This server's country: its region gets every local key, and the
    /// foreign keys (from the federation gateway) of users who visited it.
    /// `EUR` always gets every key; a supported country that foreign keys
    /// visited gets a region of its own with those keys.
    pub home: CountryCode,
    /// The countries this server supports (the home country among them):
    /// only these become regions, whatever a partner's keys claim to have visited.
    pub supported: Vec<String>,
    /// Keys with a lower transmission risk level are not published
    /// (cwa-server's `minimum-trl-value-allowed`).
    pub minimum_trl: u8,
    /// The encoded configurations to publish signed, by public path.
    pub configurations: Vec<(String, Bytes)>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Bundle files in the window (hourly and daily, each in one or more parts).
    pub bundles: u64,
    /// Bundle files written because they were new or changed.
    pub bundles_written: u64,
    /// Index, key list and configuration files written.
    pub other_written: u64,
    /// Keys in the hourly bundles this run wrote.
    pub keys_published: u64,
    /// Keys in the window's hourly bundles.
    pub keys_in_window: u64,
    /// Eligible keys held back by the threshold.
    pub keys_carried: u64,
    /// Keys whose embargo has not ended.
    pub keys_waiting: u64,
    /// Keys deleted because they left the window.
    pub keys_deleted: u64,
    /// Files deleted because they left the window.
    pub files_deleted: u64,
    /// The key that signed.
    pub signed_by: KeyIdentity,
}

impl std::fmt::Display for RunReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bundles ({} written, signed by {}), {} keys published ({} new), \
             {} carried forward, {} under embargo, {} keys and {} files deleted",
            self.bundles,
            self.bundles_written,
            self.signed_by,
            self.keys_in_window,
            self.keys_published,
            self.keys_carried,
            self.keys_waiting,
            self.keys_deleted,
            self.files_deleted
        )
    }
}

/// Why a run failed; the next run starts over and completes the work.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Stored keys could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The object store failed. Its text already holds every cause
    /// (`object_store` errors repeat their source in their text), so it is
    /// not also given as the source.
    #[error("object store: {0}")]
    Publish(PublishError),
    /// The published country index is not a list of regions.
    #[error("the country index is not a list of regions: {0}")]
    CountryIndex(serde_json::Error),
    /// A bundle could not be built.
    #[error("bundle: {0}")]
    Build(#[from] BuildError),
    /// The signing keys could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The configuration could not be read.
    #[error("configuration: {0}")]
    Config(String),
    /// The building thread stopped.
    #[error("the bundle builder stopped: {0}")]
    Builder(String),
}

impl From<PublishError> for RunError {
    fn from(error: PublishError) -> Self {
        Self::Publish(error)
    }
}

/// One bundle file to build.
struct Job {
    path: String,
    region: String,
    start: i64,
    end: i64,
    /// Which part of its hour or day this file is, of how many (the
    /// export's `batch_num` and `batch_size`: over 600,000 keys take more
    /// than one file).
    part: (u32, u32),
    keys: Vec<usize>,
    hourly: bool,
}

/// What a run tells as it goes: `warn distribute` shows a bar, the server
/// nothing ([`Quiet`]).
pub trait Progress: Sync {
    /// The run will build `bundles` bundle files.
    fn start(&self, bundles: u64);
    /// One more bundle file is built and written.
    fn advance(&self);
    /// The run is done.
    fn finish(&self);
}

/// No progress shown (the server's hourly runs).
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _bundles: u64) {}
    fn advance(&self) {}
    fn finish(&self) {}
}

/// Runs one assembly as of `options.now`: the keys to publish, each
/// region's plan, the signed key list and configurations, the bundles, the
/// indexes (which name only files written before them), then the sweep of
/// what no index names any more; and records the run.
pub async fn run_once(
    db: &Db,
    publisher: &Publisher,
    signing: &SigningKeys,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunReport, RunError> {
    let run_id = store::start_run(db, options.now).await?;
    // A store that refuses (credentials, a missing bucket) fails here, with
    // the store's reason, before anything is built.
    publisher.check().await?;
    let previous_regions = previous_regions(publisher).await?;
    let mut report = RunReport {
        signed_by: signing.active().identity().clone(),
        keys_deleted: store::delete_expired_keys(db, plan::window_start_hour(options.now)).await?,
        ..RunReport::default()
    };
    let keys = Arc::new(publishable_keys(db, options).await?);
    let plans = plan_regions(&keys, options);
    if let Some((_, plan)) = plans.first() {
        report.keys_carried = plan.carried as u64;
        report.keys_waiting = plan.waiting as u64;
    }
    publish_signed_files(publisher, signing, options, &mut report).await?;
    let jobs: Vec<Job> = plans
        .iter()
        .flat_map(|(region, plan)| jobs_of(region, plan, keys.as_slice(), MAX_KEYS_PER_BUNDLE))
        .collect();
    report.bundles = jobs.len() as u64;
    report.keys_in_window = jobs
        .iter()
        .filter(|job| job.hourly && job.region == options.home.as_str())
        .map(|job| job.keys.len() as u64)
        .sum();
    let mut expected: BTreeSet<String> = jobs.iter().map(|job| job.path.clone()).collect();
    progress.start(report.bundles);
    publish_bundles(jobs, keys, signing, publisher, progress, &mut report).await?;
    publish_indexes(publisher, &plans, &mut expected, &mut report).await?;
    let mut published: BTreeSet<String> = plans.iter().map(|(region, _)| region.clone()).collect();
    published.extend(previous_regions);
    report.files_deleted = sweep(publisher, &published, &expected).await?;
    progress.finish();
    store::finish_run(
        db,
        run_id,
        crate::clock::now(),
        report.bundles_written,
        report.keys_published,
    )
    .await?;
    Ok(report)
}

/// The keys of the window as published: keys under the minimum
/// transmission risk level stay out, the others carry cwa-server's encoding
/// of their level (the stored rows keep what was submitted).
async fn publishable_keys(db: &Db, options: &RunOptions) -> Result<Vec<PublishableKey>, RunError> {
    Ok(store::publishable_keys(db, plan::hour_of(options.now))
        .await?
        .into_iter()
        .filter_map(|stored| {
            let key = shared::publication::published_key(&stored.key, options.minimum_trl)?;
            Some(PublishableKey { key, ..stored })
        })
        .collect())
}

/// Each region with the plan of its keys (the home region first).
fn plan_regions(keys: &[PublishableKey], options: &RunOptions) -> Vec<(String, Plan)> {
    let rules = PlanRules {
        now: options.now,
        min_keys: options.min_keys,
    };
    regions(options.home, &options.supported, keys)
        .into_iter()
        .map(|(region, members)| {
            let plan = match members {
                None => plan::plan(keys, &rules),
                Some(members) => region_plan(keys, &members, &rules),
            };
            (region, plan)
        })
        .collect()
}

/// The public keys, so that a verifier knows a new key before it meets
/// its first bundle, and the signed configurations beside them.
async fn publish_signed_files(
    publisher: &Publisher,
    signing: &SigningKeys,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let keys_json = serde_json::to_vec_pretty(&signing.published()).unwrap_or_default();
    count(
        report,
        publisher.put(&paths::keys(), keys_json.into()).await?,
    );
    for (path, configuration) in &options.configurations {
        let payload = shared::bundle::sign_payload(configuration, &[signing.active()]);
        count(report, publisher.put(path, payload.into()).await?);
    }
    Ok(())
}

/// Each region's hour indexes and date index, then the country index;
/// adds their paths to `expected`.
async fn publish_indexes(
    publisher: &Publisher,
    plans: &[(String, Plan)],
    expected: &mut BTreeSet<String>,
    report: &mut RunReport,
) -> Result<(), RunError> {
    for (region, plan) in plans {
        for day in &plan.days {
            let hours: Vec<i64> = day
                .hours
                .iter()
                .map(|hour| hour.hour.rem_euclid(HOURS_PER_DAY))
                .collect();
            let path = paths::hour_index(region, &date(day.day));
            count(report, publisher.put(&path, json(&hours)).await?);
            expected.insert(path);
        }
        let dates: Vec<String> = plan
            .days
            .iter()
            .filter(|day| day.complete)
            .map(|day| date(day.day))
            .collect();
        let path = paths::date_index(region);
        count(report, publisher.put(&path, json(&dates)).await?);
        expected.insert(path);
    }
    let region_names: Vec<&str> = plans.iter().map(|(region, _)| region.as_str()).collect();
    count(
        report,
        publisher
            .put(&paths::country_index(), json(&region_names))
            .await?,
    );
    Ok(())
}

/// Deletes the files of `regions` that no index names any more (also in
/// regions that no longer have keys); answers how many.
async fn sweep(
    publisher: &Publisher,
    regions: &BTreeSet<String>,
    expected: &BTreeSet<String>,
) -> Result<u64, RunError> {
    let mut deleted = 0;
    for region in regions {
        for path in publisher.list(&paths::region(region)).await? {
            if !expected.contains(&path) {
                publisher.delete(&path).await?;
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}

/// The regions the country index lists before this run (none before the
/// first run): their files are deleted when the run no longer publishes
/// them. An index that cannot be read or is not a list fails the run (the
/// next one retries): a run that went on would never delete the files of a
/// region it stopped publishing.
async fn previous_regions(publisher: &Publisher) -> Result<Vec<String>, RunError> {
    match publisher.get(&paths::country_index()).await? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(RunError::CountryIndex),
        None => Ok(Vec::new()),
    }
}

/// The regions of a run, each with the indices of its keys (`None`: every
/// key): the home country (its own keys and the foreign keys of users who
/// visited it), each supported country that foreign keys visited (those
/// keys), and `EUR` (every key), always. The released apps download `EUR`
/// only (cwa-server's index is `{home, EUR}`); only the operator's supported
/// countries become regions, whatever a partner's keys claim to have
/// visited (each region costs a bundle per hour and day: issue 15, point 10).
fn regions(
    home: CountryCode,
    supported: &[String],
    keys: &[PublishableKey],
) -> Vec<(String, Option<Vec<usize>>)> {
    let foreign: Vec<usize> = (0..keys.len())
        .filter(|&index| keys[index].is_foreign(home))
        .collect();
    if foreign.is_empty() {
        return vec![(home.to_string(), None), (EUR.to_owned(), None)];
    }
    let mut visited: BTreeSet<&str> = BTreeSet::new();
    for &index in &foreign {
        let key = &keys[index];
        visited.extend(key.visited.split(',').filter(|code| {
            !code.is_empty()
                && code.as_bytes() != key.origin
                && *code != home.as_str()
                && *code != EUR
                && supported.iter().any(|country| country == code)
        }));
    }
    let home_keys: Vec<usize> = (0..keys.len())
        .filter(|&index| !keys[index].is_foreign(home) || keys[index].visited(home.as_str()))
        .collect();
    let mut regions = vec![(home.to_string(), Some(home_keys))];
    for country in visited {
        let members = foreign
            .iter()
            .copied()
            .filter(|&index| {
                keys[index].visited(country) && keys[index].origin != country.as_bytes()
            })
            .collect();
        regions.push((country.to_owned(), Some(members)));
    }
    regions.push((EUR.to_owned(), None));
    regions
}

/// The region that holds every key, local and foreign.
pub const EUR: &str = "EUR";

/// A key of a region's subset, planned by reference.
struct Member<'a>(&'a PublishableKey);

impl plan::Plannable for Member<'_> {
    fn key_data(&self) -> &[u8; 16] {
        &self.0.key.key_data
    }
    fn distributable_hour(&self) -> i64 {
        self.0.distributable_hour
    }
}

/// Plans the keys `members` (indices into `keys`); the plan's indices are
/// indices into `keys`.
fn region_plan(keys: &[PublishableKey], members: &[usize], rules: &PlanRules) -> Plan {
    let subset: Vec<Member<'_>> = members.iter().map(|&index| Member(&keys[index])).collect();
    let mut plan = plan::plan(&subset, rules);
    for day in &mut plan.days {
        for hour in &mut day.hours {
            for key in &mut hour.keys {
                *key = members[*key];
            }
        }
    }
    plan
}

/// Builds the bundles on a blocking thread while this task writes them.
async fn publish_bundles(
    jobs: Vec<Job>,
    keys: Arc<Vec<PublishableKey>>,
    signing: &SigningKeys,
    publisher: &Publisher,
    progress: &dyn Progress,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<(Job, Bytes), BuildError>>(4);
    let signer = signing.active().clone();
    let builder = tokio::task::spawn_blocking(move || {
        for job in jobs {
            let built = build(&job, &keys, &signer).map(|bytes| (job, bytes));
            if sender.blocking_send(built).is_err() {
                return;
            }
        }
    });
    while let Some(built) = receiver.recv().await {
        let (job, bytes) = built?;
        if publisher.put(&job.path, bytes).await? == Outcome::Written {
            report.bundles_written += 1;
            if job.hourly {
                report.keys_published += job.keys.len() as u64;
            }
        }
        progress.advance();
    }
    builder
        .await
        .map_err(|error| RunError::Builder(error.to_string()))
}

fn build(
    job: &Job,
    keys: &[PublishableKey],
    signer: &shared::bundle::Signer,
) -> Result<Bytes, BuildError> {
    let spec = ExportSpec {
        region: job.region.clone(),
        start_timestamp: u64::try_from(job.start).unwrap_or(0),
        end_timestamp: u64::try_from(job.end).unwrap_or(0),
        batch_num: job.part.0,
        batch_size: job.part.1,
        keys: job
            .keys
            .iter()
            .map(|index| keys[*index].key.clone())
            .collect(),
    };
    build_export(spec, &[signer]).map(Bytes::from)
}

/// The bundle files of one region: every hour, and every complete day.
fn jobs_of(region: &str, plan: &Plan, keys: &[PublishableKey], max: usize) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut add =
        |keys: Vec<usize>, start: i64, end: i64, hourly: bool, path: &dyn Fn(u32) -> String| {
            let ranges = plan::parts(keys.len(), max);
            let size = ranges.len() as u32;
            for (index, range) in ranges.into_iter().enumerate() {
                let num = index as u32 + 1;
                jobs.push(Job {
                    path: path(num),
                    region: region.to_owned(),
                    start,
                    end,
                    part: (num, size),
                    keys: keys[range].to_vec(),
                    hourly,
                });
            }
        };
    for day in &plan.days {
        let date = date(day.day);
        for hour in &day.hours {
            let of_day = hour.hour.rem_euclid(HOURS_PER_DAY) as u32;
            let start = hour.hour * HOUR;
            add(hour.keys.clone(), start, start + HOUR, true, &|part| {
                paths::hour_bundle(region, &date, of_day, part)
            });
        }
        if day.complete {
            let start = day.day * HOURS_PER_DAY * HOUR;
            add(
                day.keys(keys),
                start,
                start + HOURS_PER_DAY * HOUR,
                false,
                &|part| paths::day_bundle(region, &date, part),
            );
        }
    }
    jobs
}

fn count(report: &mut RunReport, outcome: Outcome) {
    if outcome == Outcome::Written {
        report.other_written += 1;
    }
}

fn json<T: serde::Serialize>(value: &T) -> Bytes {
    serde_json::to_vec(value).unwrap_or_default().into()
}

/// `YYYY-MM-DD` of a unix day.
pub fn date(day: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(day * HOURS_PER_DAY * HOUR) {
        Ok(moment) => {
            let date = moment.date();
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        }
        Err(_) => format!("day-{day}"),
    }
}

#[cfg(test)]
mod region_tests {
    use super::*;
    use shared::keys::{DiagnosisKey, ReportType};

    fn key(byte: u8, origin: &str, visited: &str) -> PublishableKey {
        PublishableKey {
            key: DiagnosisKey::new(shared::keys::KeyFields {
                key_data: [byte; 16],
                transmission_risk_level: 5,
                rolling_start_interval_number: 2_900_000,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: None,
            })
            .expect("valid"),
            distributable_hour: 490_000,
            origin: origin.as_bytes().try_into().expect("two letters"),
            visited: visited.into(),
        }
    }

    fn code(text: &str) -> CountryCode {
        CountryCode::parse(text).expect("a country code")
    }

    fn supported(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|code| (*code).to_owned()).collect()
    }

    #[test]
    fn local_keys_alone_make_the_home_region_and_eur() {
        let keys = [key(1, "FR", "DE,FR"), key(2, "FR", "FR")];
        assert_eq!(
            regions(code("FR"), &supported(&["DE", "FR"]), &keys),
            vec![("FR".to_owned(), None), ("EUR".to_owned(), None)]
        );
    }

    #[test]
    fn no_keys_still_make_the_home_region_and_eur() {
        let names: Vec<String> = regions(code("DE"), &supported(&["DE"]), &[])
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["DE", "EUR"]);
    }

    #[test]
    fn made_up_visited_countries_make_no_region() {
        let visited: Vec<String> = (b'A'..=b'Z')
            .flat_map(|first| {
                (b'A'..=b'B').map(move |second| format!("{}{}", first as char, second as char))
            })
            .take(40)
            .collect();
        let keys = [key(1, "NL", &visited.join(","))];
        let names: Vec<String> = regions(code("FR"), &supported(&["AB", "FR", "NL"]), &keys)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            ["FR", "AB", "EUR"],
            "only the supported AB of 40 codes"
        );
    }

    #[test]
    fn foreign_keys_go_to_the_countries_they_visited_and_eur() {
        let keys = [
            key(1, "FR", "FR"),       // local
            key(2, "DE", "DE,FR"),    // visited FR
            key(3, "DE", "DE,NL"),    // visited NL, not FR
            key(4, "NL", "DE,FR,NL"), // visited DE and FR
        ];
        let regions = regions(code("FR"), &supported(&["DE", "FR", "NL"]), &keys);
        let names: Vec<&str> = regions.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["FR", "DE", "NL", "EUR"]);
        assert_eq!(regions[0].1, Some(vec![0, 1, 3]), "home: local + visitors");
        assert_eq!(
            regions[1].1,
            Some(vec![3]),
            "DE: foreign keys that visited DE, not DE's own"
        );
        assert_eq!(
            regions[2].1,
            Some(vec![2]),
            "NL: DE's key that visited NL, not NL's own"
        );
        assert_eq!(regions[3].1, None, "EUR: every key");
    }
}
