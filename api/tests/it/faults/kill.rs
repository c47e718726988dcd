//! `warn serve` killed with SIGKILL in the middle of a burst of 200
//! submissions and lab uploads. After a restart on the same data:
//!
//! - every request that got a 2xx is stored (its keys are published, its
//!   lab result is what a phone polls);
//! - nothing of a request that got an error or a fake's 200 is stored;
//! - a request that got no answer (cut by the kill) is stored whole or not
//!   at all, and its TAN says which: spent exactly when its keys are there.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use shared::verification::HashedGuid;

use super::{Client, add_lab, date_of, new_guid, payload, random_key, rfc3339, unix_now};
use crate::distribution::{Storage, key_ring, walk};
use crate::support::WarnProcess;

/// Real submissions in the burst (each with its own TAN).
const SUBMISSIONS: usize = 70;
/// Of those, refused for a broken rule (rolling period 0): 400, TAN kept.
const BROKEN: usize = 10;
/// Fake submissions (`cwa-fake: 1`): answered 200, never stored.
const FAKES: usize = 30;
/// Lab uploads of one result each.
const UPLOADS: usize = 100;
/// The kill comes after this many answers.
const KILL_AFTER: usize = 80;

/// What a burst request was, and what it got.
enum Sent {
    Submission {
        tan: String,
        keys: Vec<[u8; 16]>,
        broken: bool,
        fake: bool,
        status: Option<StatusCode>,
    },
    Upload {
        guid: HashedGuid,
        result: u8,
        status: Option<StatusCode>,
    },
}

fn serve(storage: &Storage) -> WarnProcess {
    let mut args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
    args.extend(storage.args());
    WarnProcess::start(&args, false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_keeps_every_2xx_and_nothing_else() {
    let storage = Storage::sqlite();
    let lab_key = add_lab(&storage.args());
    let server = serve(&storage);
    let client = Client::new(&server.base);

    // Arrange: TANs through the phone's own flow (a positive result, a
    // registration, a TAN), before the burst.
    let real = SUBMISSIONS;
    let mut tans = Vec::with_capacity(real);
    for _ in 0..real {
        let guid = new_guid();
        let answer = client.upload(&lab_key, &guid, 2).await;
        assert_eq!(
            answer.as_ref().map(|a| a.0),
            Some(StatusCode::NO_CONTENT),
            "{answer:?}"
        );
        let token = client.register(&guid).await.expect("registered");
        tans.push(client.tan(&token).await.expect("a TAN"));
    }

    // Act: the burst, killed after KILL_AFTER answers.
    let mut requests = Vec::new();
    for (index, tan) in tans.into_iter().enumerate() {
        requests.push(Sent::Submission {
            tan,
            keys: (0..3).map(|_| random_key()).collect(),
            broken: index < BROKEN,
            fake: false,
            status: None,
        });
    }
    for _ in 0..FAKES {
        requests.push(Sent::Submission {
            tan: shared::verification::Uuid4::generate().expose().to_owned(),
            keys: (0..3).map(|_| random_key()).collect(),
            broken: false,
            fake: true,
            status: None,
        });
    }
    for index in 0..UPLOADS {
        requests.push(Sent::Upload {
            guid: new_guid(),
            result: if index % 2 == 0 { 2 } else { 1 },
            status: None,
        });
    }
    fastrand::shuffle(&mut requests);
    assert_eq!(requests.len(), 200);

    let answered = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for mut request in requests {
        let (client, lab_key) = (client.clone(), lab_key.clone());
        let (answered, enough) = (answered.clone(), enough.clone());
        tasks.push(tokio::spawn(async move {
            match &mut request {
                Sent::Submission {
                    tan,
                    keys,
                    broken,
                    fake,
                    status,
                } => {
                    let period = if *broken { 0 } else { 144 };
                    *status = client.submit(tan, payload(keys, period), *fake).await;
                }
                Sent::Upload {
                    guid,
                    result,
                    status,
                } => {
                    *status = client.upload(&lab_key, guid, *result).await.map(|a| a.0);
                }
            }
            let answered_now = answered.fetch_add(1, Ordering::SeqCst) + 1;
            if answered_now == KILL_AFTER {
                enough.notify_one();
            }
            request
        }));
    }
    enough.notified().await;
    // SIGKILL, as `kill -9`: no shutdown, no flush.
    drop(server);
    let mut sent = Vec::new();
    for task in tasks {
        sent.push(task.await.expect("request task"));
    }

    // Assert, after a restart on the same data.
    let server = serve(&storage);
    let client = Client::new(&server.base);
    let (mut must_have, mut must_not_have) = (BTreeSet::new(), BTreeSet::new());
    let (mut ok, mut refused, mut cut) = (0, 0, 0);
    for request in &sent {
        match request {
            Sent::Submission {
                tan,
                keys,
                broken,
                fake,
                status,
            } => match status {
                _ if *fake => {
                    assert!(
                        status.is_none() || *status == Some(StatusCode::OK),
                        "a fake got {status:?}"
                    );
                    must_not_have.extend(keys.iter().copied());
                }
                Some(status) if status.is_success() => {
                    assert!(!broken, "a broken submission got {status}");
                    ok += 1;
                    must_have.extend(keys.iter().copied());
                }
                Some(status) => {
                    refused += 1;
                    assert!(
                        *broken,
                        "a valid submission got {status} (not cut by the kill)"
                    );
                    must_not_have.extend(keys.iter().copied());
                    // Refused for a broken rule: the TAN is still good.
                    let fresh: Vec<[u8; 16]> = (0..3).map(|_| random_key()).collect();
                    let retry = client.submit(tan, payload(&fresh, 144), false).await;
                    assert_eq!(
                        retry,
                        Some(StatusCode::OK),
                        "the TAN of a refused submission"
                    );
                    must_have.extend(fresh);
                }
                None => {
                    cut += 1;
                    // Cut by the kill: stored whole (TAN spent) or not at all
                    // (TAN still good; the retry stores it now).
                    if *broken {
                        must_not_have.extend(keys.iter().copied());
                        continue;
                    }
                    let retry = client.submit(tan, payload(keys, 144), false).await;
                    match retry {
                        Some(StatusCode::OK | StatusCode::FORBIDDEN) => {
                            must_have.extend(keys.iter().copied())
                        }
                        other => panic!("the retry of a cut submission got {other:?}"),
                    }
                }
            },
            Sent::Upload {
                guid,
                result,
                status,
            } => {
                let token = client.register(guid).await.expect("registered");
                let polled = client.poll(&token).await.expect("an answer");
                assert_eq!(polled.0, StatusCode::OK, "{:?}", polled.1);
                let found = polled.1["testResult"].as_u64().expect("a result code");
                match status {
                    Some(status) if status.is_success() => {
                        ok += 1;
                        assert_eq!(found, u64::from(*result), "a stored lab result was lost");
                    }
                    Some(status) => panic!("a valid lab upload got {status}"),
                    None => {
                        cut += 1;
                        assert!(
                            found == 0 || found == u64::from(*result),
                            "a cut upload left result {found}"
                        );
                    }
                }
            }
        }
    }
    drop(server);
    assert!(
        ok > 0 && cut > 0,
        "the kill came mid-burst: {ok} ok, {cut} cut"
    );
    eprintln!("burst: {ok} answered 2xx, {refused} refused, {cut} cut by the kill");

    // Published keys are stored keys: one run, as of three hours on (the
    // submissions' hour is then over).
    let later = unix_now() + 3 * 3600;
    storage.warn(&["distribute", "--now", &rfc3339(later), "--min-keys", "1"]);
    let ring = key_ring(&storage, false);
    let tree = walk(&storage.public(), &ring, Some(&date_of(later)));
    let published: BTreeSet<[u8; 16]> = tree.hourly.keys().copied().collect();
    let lost: Vec<_> = must_have.difference(&published).collect();
    assert!(
        lost.is_empty(),
        "{} keys answered 2xx were lost",
        lost.len()
    );
    let kept: Vec<_> = must_not_have.intersection(&published).collect();
    assert!(
        kept.is_empty(),
        "{} keys of refused or fake requests were stored",
        kept.len()
    );
    assert_eq!(
        published, must_have,
        "only the keys of stored submissions are published"
    );
}
