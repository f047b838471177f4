//! The NATS JetStream consumer against the real local NATS server, including a crash test: the
//! server is killed (SIGKILL) again and again while events stream in, and afterwards every event
//! is stored exactly once and every poison message is kept; and three processes sharing one
//! PostgreSQL database and one durable consumer, killed in turn while 100,000 events stream in.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use einblick::db::schema::{access_events, dead_letters};
use einblick::db::Database;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    events_streamed_over_nats_are_stored_exactly_once_across_crashes,
    a_stopping_server_stores_and_acknowledges_its_batch_in_hand,
);

const NATS_URL: &str = "nats://127.0.0.1:4222";
const EVENTS: usize = 1500;
const POISON: usize = 5;

fn event(id: usize) -> String {
    serde_json::json!({
        "specversion": "1.0", "id": format!("nats-{id}"), "source": "/wms/picking", "type": "einblick.access.v1",
        "time": "2026-11-22T07:15:00Z",
        "data": {
            "customer_ref": format!("C-4{:05}", id % 300), "actor": { "employee_id": "E-2001", "role": "wh_fulfilment_agent" },
            "data_category": "purchase_history", "action": "view", "reason": { "code": "order_fulfilment" }
        }
    })
    .to_string()
}

fn start_server(url: &str, keys: &std::path::Path, stream: &str, subject: &str) -> Child {
    start_server_printing_to(url, keys, stream, subject, Stdio::null())
}

fn start_server_printing_to(
    url: &str,
    keys: &std::path::Path,
    stream: &str,
    subject: &str,
    output: Stdio,
) -> Child {
    serve_command(url, keys, stream, subject)
        .stdout(output)
        .stderr(Stdio::null())
        .spawn()
        .expect("start einblick")
}

/// `einblick serve` consuming `stream` through the durable consumer every test process shares.
fn serve_command(url: &str, keys: &std::path::Path, stream: &str, subject: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_einblick"));
    command
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("EINBLICK_LOG_KEY_DIR", keys)
        // Checkpoints are signed while the server is killed, too.
        .env("EINBLICK_CHECKPOINT_EVERY_EVENTS", "100")
        .env("EINBLICK_CHECKPOINT_EVERY_SECONDS", "1")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("EINBLICK_LOG", "warn")
        .env("EINBLICK_NATS_URL", NATS_URL)
        .env("EINBLICK_NATS_STREAM", stream)
        .env("EINBLICK_NATS_SUBJECT", subject)
        .env("EINBLICK_NATS_CONSUMER", "einblick-test")
        .env("EINBLICK_NATS_SOURCES", format!("{subject}=*"));
    command
}

fn counts(db: &Database) -> (i64, i64, i64) {
    let mut conn = db.get().unwrap();
    let stored: i64 = access_events::table
        .count()
        .get_result(&mut *conn)
        .unwrap_or(0);
    let mut ids: Vec<String> = access_events::table
        .select(access_events::event_id)
        .load(&mut *conn)
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    let distinct = ids.len() as i64;
    let dead: i64 = dead_letters::table
        .count()
        .get_result(&mut *conn)
        .unwrap_or(0);
    (stored, distinct, dead)
}

fn wait_for_schema(db: &Database) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while db
        .get()
        .map(|mut c| einblick::db::access_event::count(&mut c).is_err())
        .unwrap_or(true)
    {
        assert!(
            Instant::now() < deadline,
            "server did not migrate the database"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A JetStream stream of one test on one backend, so that runs never share one; deleted when
/// the test ends, passed or not.
struct TestStream {
    stream: String,
    subject: String,
    publish_subject: String,
}

impl TestStream {
    fn new(label: &str, backend: Backend) -> Self {
        let backend = if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "pg"
        };
        let tag = format!("{label}{}_{backend}", std::process::id());
        Self {
            stream: format!("EINBLICK_TEST_{tag}"),
            subject: format!("einblick.test.{tag}.>"),
            publish_subject: format!("einblick.test.{tag}.wms"),
        }
    }

    /// Publishes `payloads` in order from another thread, each stored by JetStream before the
    /// next, pausing `pause` after every `every` of them.
    fn publish_in_background(
        &self,
        payloads: Vec<String>,
        every: usize,
        pause: Duration,
    ) -> std::thread::JoinHandle<()> {
        let (stream, subject, publish_subject) = (
            self.stream.clone(),
            self.subject.clone(),
            self.publish_subject.clone(),
        );
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let client = async_nats::connect(NATS_URL)
                    .await
                    .expect("NATS runs on 127.0.0.1:4222");
                let context = async_nats::jetstream::new(client);
                let _ = context
                    .get_or_create_stream(async_nats::jetstream::stream::Config {
                        name: stream,
                        subjects: vec![subject],
                        ..Default::default()
                    })
                    .await;
                for (position, payload) in payloads.into_iter().enumerate() {
                    context
                        .publish(publish_subject.clone(), payload.into())
                        .await
                        .unwrap()
                        .await
                        .expect("stored by JetStream");
                    if position % every == 0 {
                        actix_web::rt::time::sleep(pause).await;
                    }
                }
            })
        })
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let stream = self.stream.clone();
        actix_web::rt::System::new().block_on(async move {
            if let Ok(client) = async_nats::connect(NATS_URL).await {
                let _ = async_nats::jetstream::new(client)
                    .delete_stream(&stream)
                    .await;
            }
        });
    }
}

fn events_streamed_over_nats_are_stored_exactly_once_across_crashes(backend: Backend) {
    let database = ScratchDatabase::new(backend);
    let url = database.url();
    let keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
    let nats = TestStream::new("", backend);
    let (stream, subject) = (&nats.stream, &nats.subject);

    // The first start creates the schema, the stream and the durable consumer.
    let mut server = start_server(&url, &keys.0, stream, subject);
    let db = Database::connect(database.location.clone(), 2).unwrap();
    wait_for_schema(&db);
    std::thread::sleep(Duration::from_millis(500));

    let payloads = (0..EVENTS)
        .map(|id| {
            if id % (EVENTS / POISON) == 7 {
                format!("{{\"poison\": {id}")
            } else {
                event(id)
            }
        })
        .collect();
    let publisher = nats.publish_in_background(payloads, 100, Duration::from_millis(40));

    // Kill the server repeatedly while the events stream in.
    let mut rng = einblick::seed::demo::DemoRng::new(99);
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(250 + rng.below(400)));
        server.kill().expect("SIGKILL");
        let _ = server.wait();
        server = start_server(&url, &keys.0, stream, subject);
    }
    publisher.join().expect("publisher");

    let deadline = Instant::now() + Duration::from_secs(60);
    let good = (EVENTS - POISON) as i64;
    loop {
        let (stored, distinct, dead) = counts(&db);
        if stored == good && dead >= POISON as i64 {
            assert_eq!(distinct, stored, "no event stored twice");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stored {stored}/{good}, dead letters {dead}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Give redeliveries a moment: nothing more may appear.
    std::thread::sleep(Duration::from_millis(1500));
    let (stored, distinct, dead) = counts(&db);
    assert_eq!((stored, distinct), (good, good));
    let mut kept: Vec<String> = db
        .get()
        .map(|mut c| {
            dead_letters::table
                .select(dead_letters::raw_base64)
                .load(&mut *c)
                .unwrap()
        })
        .unwrap();
    kept.sort();
    kept.dedup();
    let poison_kept = kept.len() as i64;
    assert_eq!(
        poison_kept, POISON as i64,
        "every poison message is kept ({dead} dead letters in all)"
    );
    server.kill().ok();
    let _ = server.wait();

    // The verifiable log survived the kills: every stored event is a leaf, in one gap-free
    // sequence, and every checkpoint signed in between still holds.
    let said = checkpoint_and_audit(&url, &keys.0);
    assert!(said.contains(&format!("{good} access events")), "{said}");
}

/// SIGTERM while events stream in: the server stops taking requests, stores and acknowledges
/// the batch it holds, hands a prefetched one back, and exits. Nothing stored is left
/// unacknowledged (which a restart would see redelivered), and nothing acknowledged is missing.
fn a_stopping_server_stores_and_acknowledges_its_batch_in_hand(backend: Backend) {
    const STREAMED: usize = 4_000;
    let database = ScratchDatabase::new(backend);
    let url = database.url();
    let keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
    let nats = TestStream::new("stop_", backend);
    let (stream, subject) = (&nats.stream, &nats.subject);
    let printed = keys.0.join("printed.log");
    let start = || {
        let log = std::fs::File::create(&printed).unwrap();
        start_server_printing_to(&url, &keys.0, stream, subject, Stdio::from(log))
    };
    let mut server = start();
    let db = Database::connect(database.location.clone(), 2).unwrap();
    wait_for_schema(&db);
    std::thread::sleep(Duration::from_millis(500));

    let payloads = (0..STREAMED).map(event).collect();
    let publisher = nats.publish_in_background(payloads, 200, Duration::from_millis(20));

    let deadline = Instant::now() + Duration::from_secs(60);
    while counts(&db).0 < 300 {
        assert!(Instant::now() < deadline, "nothing was stored");
        std::thread::sleep(Duration::from_millis(20));
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    let said = std::fs::read_to_string(&printed).unwrap_or_default();
    assert!(status.success(), "{status}: {said}");
    assert!(said.contains("Einblick stopped"), "{said}");

    let (stored, distinct, _) = counts(&db);
    assert_eq!(stored, distinct);
    // Acknowledgements are published without a reply: give the server a moment to apply them.
    let acknowledged = actix_web::rt::System::new().block_on(async {
        let mut consumer = test_consumer(stream).await;
        let mut floor = 0;
        for _ in 0..50 {
            floor = consumer.info().await.unwrap().ack_floor.stream_sequence;
            if floor >= stored as u64 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        floor
    });
    assert_eq!(
        acknowledged, stored as u64,
        "every stored event is acknowledged and no acknowledged one is missing"
    );
    assert!(stored < STREAMED as i64, "stopped while events streamed in");

    // The rest arrives after a restart, each event once.
    publisher.join().expect("publisher");
    server = start();
    let deadline = Instant::now() + Duration::from_secs(120);
    while counts(&db).0 < STREAMED as i64 {
        assert!(Instant::now() < deadline, "stored {:?}", counts(&db));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let (stored, distinct, dead) = counts(&db);
    assert_eq!(
        (stored, distinct, dead),
        (STREAMED as i64, STREAMED as i64, 0)
    );
    server.kill().ok();
    let _ = server.wait();
}

/// Three `einblick serve` processes on one PostgreSQL database, one stream and one durable
/// consumer, sharing one set of log keys. While 100,000 events stream in, one of them is
/// SIGKILLed every few seconds and started again. Afterwards every event is stored exactly once,
/// and the log is whole: `einblick audit` recomputes the root at every signed checkpoint and
/// checks every signature against the one key, so two processes signing different trees of one
/// size, or one signing with another key, would fail it.
#[test]
fn three_processes_killed_in_turn_store_every_event_once_in_one_log() {
    const STREAMED: usize = 100_000;
    const KILLS_AT_LEAST: usize = 6;
    let database = ScratchDatabase::new(Backend::Postgres);
    let url = database.url();
    let keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
    let nats = TestStream::new("three_", Backend::Postgres);
    let (stream, subject) = (&nats.stream, &nats.subject);
    let start = || {
        serve_command(&url, &keys.0, stream, subject)
            // Fewer, larger checkpoints than the other tests: 100,000 events.
            .env("EINBLICK_CHECKPOINT_EVERY_EVENTS", "2000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start einblick")
    };

    // The first process migrates the database and records the log's keys; the others join it.
    let mut processes = Processes(vec![start()]);
    let db = Database::connect(database.location.clone(), 2).unwrap();
    wait_for_schema(&db);
    let deadline = Instant::now() + Duration::from_secs(30);
    while db
        .get()
        .map(|mut c| {
            einblick::db::schema::log_identity::table
                .count()
                .get_result::<i64>(&mut *c)
                .unwrap_or(0)
        })
        .unwrap_or(0)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the log's keys were not recorded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    processes.0.push(start());
    processes.0.push(start());

    let payloads = (0..STREAMED).map(event).collect();
    let publisher = nats.publish_in_background(payloads, 1000, Duration::from_millis(1));

    let mut rng = einblick::seed::demo::DemoRng::new(17);
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    while !publisher.is_finished() || kills < KILLS_AT_LEAST || counts(&db).0 < STREAMED as i64 {
        assert!(
            Instant::now() < deadline,
            "stored {:?} after {kills} kills",
            counts(&db)
        );
        std::thread::sleep(Duration::from_millis(1500 + rng.below(2500)));
        if !publisher.is_finished() || kills < KILLS_AT_LEAST {
            let process = &mut processes.0[kills % 3];
            process.kill().expect("SIGKILL");
            let _ = process.wait();
            *process = start();
            kills += 1;
        }
    }
    publisher.join().expect("publisher");
    // A batch stored but not acknowledged by a killed process comes back after the ack wait
    // (30 s): only once the consumer has nothing pending or unacknowledged is the count final.
    let (pending, unacknowledged) = consumer_backlog(stream, Duration::from_secs(120));
    assert_eq!((pending, unacknowledged), (0, 0));
    let (stored, distinct, dead) = counts(&db);
    drop(processes);
    assert_eq!(
        (stored, distinct, dead),
        (STREAMED as i64, STREAMED as i64, 0),
        "after {kills} kills"
    );

    let said = checkpoint_and_audit(&url, &keys.0);
    assert!(
        said.contains(&format!("{STREAMED} access events")),
        "{said}"
    );
    let signed: i64 = db
        .get()
        .map(|mut c| {
            einblick::db::schema::log_checkpoints::table
                .count()
                .get_result(&mut *c)
                .unwrap()
        })
        .unwrap();
    assert!(
        signed > 10,
        "checkpoints were signed while processes died: {signed}"
    );
}

/// Processes killed when the test ends, passed or not.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for process in &mut self.0 {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// The test consumer's messages not yet delivered and delivered but not acknowledged, once both
/// are zero or `within` has passed.
fn consumer_backlog(stream: &str, within: Duration) -> (u64, usize) {
    actix_web::rt::System::new().block_on(async {
        let mut consumer = test_consumer(stream).await;
        let deadline = Instant::now() + within;
        loop {
            let info = consumer.info().await.unwrap();
            let backlog = (info.num_pending, info.num_ack_pending);
            if backlog == (0, 0) || Instant::now() > deadline {
                return backlog;
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
    })
}

/// Signs a checkpoint over everything stored, then audits the log; both must succeed. Returns
/// what the audit printed.
fn checkpoint_and_audit(url: &str, keys: &std::path::Path) -> String {
    let run = |subcommand: &str| {
        einblick_binary()
            .arg(subcommand)
            .env("DATABASE_URL", url)
            .env("EINBLICK_LOG_KEY_DIR", keys)
            .output()
            .unwrap()
    };
    let output = run("checkpoint");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run("audit");
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    said
}

/// The durable consumer the test servers share on `stream`.
async fn test_consumer(stream: &str) -> async_nats::jetstream::consumer::PullConsumer {
    let client = async_nats::connect(NATS_URL).await.unwrap();
    async_nats::jetstream::new(client)
        .get_stream(stream)
        .await
        .unwrap()
        .get_consumer("einblick-test")
        .await
        .unwrap()
}
