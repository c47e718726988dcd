//! Unit tests of the pure assembly: threshold carry-forward, embargo,
//! splitting, day boundaries.

use super::*;

#[derive(Debug, Clone)]
struct Key {
    data: [u8; 16],
    hour: i64,
}

impl Plannable for Key {
    fn key_data(&self) -> &[u8; 16] {
        &self.data
    }
    fn distributable_hour(&self) -> i64 {
        self.hour
    }
}

/// 2026-11-20T00:00Z.
const DAY_START: i64 = 1_795_132_800;
const DAY_HOUR: i64 = DAY_START / HOUR;

fn key(byte: u8, distributable_hour: i64) -> Key {
    Key {
        data: [byte; 16],
        hour: distributable_hour,
    }
}

fn rules(now: i64, min_keys: usize) -> PlanRules {
    PlanRules { now, min_keys }
}

fn hour(plan: &Plan, unix_hour: i64) -> &HourPlan {
    plan.days
        .iter()
        .flat_map(|day| &day.hours)
        .find(|hour| hour.hour == unix_hour)
        .unwrap_or_else(|| panic!("hour {unix_hour} is in the plan"))
}

#[test]
fn a_key_lands_in_the_hour_that_ends_when_it_becomes_distributable() {
    let keys = [key(1, DAY_HOUR + 5)];
    let plan = plan(&keys, &rules(DAY_START + 10 * HOUR, 1));
    assert_eq!(hour(&plan, DAY_HOUR + 4).keys, vec![0]);
    assert!(hour(&plan, DAY_HOUR + 5).keys.is_empty());
}

#[test]
fn the_embargo_holds_keys_whose_hour_is_not_over() {
    // Now is 10:30: hour 9 is over, hour 10 is not.
    let keys = [key(1, DAY_HOUR + 10), key(2, DAY_HOUR + 11)];
    let plan = plan(&keys, &rules(DAY_START + 10 * HOUR + 1800, 1));
    assert_eq!(hour(&plan, DAY_HOUR + 9).keys, vec![0]);
    assert_eq!(plan.waiting, 1);
    let last = plan.days.last().and_then(|day| day.hours.last());
    assert_eq!(last.map(|hour| hour.hour), Some(DAY_HOUR + 9));
}

#[test]
fn hours_under_the_threshold_carry_their_keys_forward() {
    // Two keys in hour 1, one in hour 2, three in hour 4; threshold 3.
    let keys = [
        key(9, DAY_HOUR + 2),
        key(8, DAY_HOUR + 2),
        key(7, DAY_HOUR + 3),
        key(6, DAY_HOUR + 5),
        key(5, DAY_HOUR + 5),
        key(4, DAY_HOUR + 5),
    ];
    let plan = plan(&keys, &rules(DAY_START + 8 * HOUR, 3));
    assert!(hour(&plan, DAY_HOUR + 1).keys.is_empty());
    // Hour 2 reaches three keys with those carried from hour 1; sorted by key data.
    assert_eq!(hour(&plan, DAY_HOUR + 2).keys, vec![2, 1, 0]);
    assert!(hour(&plan, DAY_HOUR + 3).keys.is_empty());
    assert_eq!(hour(&plan, DAY_HOUR + 4).keys, vec![5, 4, 3]);
    assert_eq!(plan.carried, 0);
}

#[test]
fn keys_still_under_the_threshold_at_the_end_wait_for_a_later_run() {
    let keys = [key(1, DAY_HOUR + 2), key(2, DAY_HOUR + 3)];
    let plan = plan(&keys, &rules(DAY_START + 8 * HOUR, 3));
    let published: usize = plan
        .days
        .iter()
        .flat_map(|day| &day.hours)
        .map(|hour| hour.keys.len())
        .sum();
    assert_eq!((published, plan.carried), (0, 2));
}

#[test]
fn every_complete_hour_of_the_window_has_a_bundle() {
    let plan = plan(&[] as &[Key], &rules(DAY_START + 5 * HOUR + 10, 1));
    assert_eq!(plan.window_start_hour, DAY_HOUR - 14 * 24);
    assert_eq!(plan.days.len(), 15);
    assert!(
        plan.days[..14]
            .iter()
            .all(|day| day.complete && day.hours.len() == 24)
    );
    let today = &plan.days[14];
    assert!(!today.complete);
    assert_eq!(today.hours.len(), 5);
}

#[test]
fn at_midnight_today_appears_with_no_hours() {
    let plan = plan(&[] as &[Key], &rules(DAY_START + 59, 1));
    let today = plan.days.last().expect("today");
    assert_eq!(
        (today.day, today.complete, today.hours.len()),
        (DAY_START / 86_400, false, 0)
    );
    assert!(plan.days[plan.days.len() - 2].complete);
}

#[test]
fn a_key_published_in_the_last_hour_of_a_day_belongs_to_that_day() {
    // Distributable at midnight: published in the 23:00 bundle of the day before.
    let keys = [key(1, DAY_HOUR)];
    let plan = plan(&keys, &rules(DAY_START + 3 * HOUR, 1));
    let yesterday = plan
        .days
        .iter()
        .find(|day| day.day == DAY_START / 86_400 - 1)
        .expect("yesterday");
    assert_eq!(yesterday.keys(&keys), vec![0]);
    assert_eq!(hour(&plan, DAY_HOUR - 1).keys, vec![0]);
}

#[test]
fn keys_before_the_window_are_expired() {
    let keys = [key(1, DAY_HOUR - 15 * 24), key(2, DAY_HOUR - 14 * 24 + 1)];
    let plan = plan(&keys, &rules(DAY_START + HOUR, 1));
    assert_eq!(plan.expired, 1);
    assert_eq!(hour(&plan, DAY_HOUR - 14 * 24).keys, vec![1]);
}

#[test]
fn parts_split_evenly_under_the_limit() {
    let cases: [(usize, usize, &[usize]); 5] = [
        (0, 600_000, &[0]),
        (600_000, 600_000, &[600_000]),
        (600_001, 600_000, &[300_001, 300_000]),
        (1_500_000, 600_000, &[500_000, 500_000, 500_000]),
        (7, 3, &[3, 2, 2]),
    ];
    for (count, max, sizes) in cases {
        let ranges = parts(count, max);
        let got: Vec<usize> = ranges.iter().map(|range| range.len()).collect();
        assert_eq!(got, sizes, "{count} keys, at most {max}");
        assert_eq!(ranges.last().map(|range| range.end), Some(count));
    }
}
