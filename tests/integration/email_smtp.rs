//! Customer emails over a real SMTP server (aiosmtpd from PyPI, installed by `.ci/setup --test`),
//! and into the outbox when SMTP fails.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::both_backends;
use crate::helpers::*;

both_backends!(emails_go_over_smtp_and_to_the_outbox_when_it_fails);

/// An aiosmtpd server storing what it receives in a Maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir =
            std::env::temp_dir().join(format!("einblick_smtp_{}_{port}", std::process::id()));
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (bash .ci/setup --test installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received, as raw text.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn emails_go_over_smtp_and_to_the_outbox_when_it_fails(backend: Backend) {
    let mut smtp = SmtpServer::start();
    let app = TestApp::spawn_with(backend, &[("EINBLICK_SMTP_URL", &smtp.url())], true);
    let mut anna = app.signed_in(ANNA);
    let event = app
        .with_connection(|conn| {
            use diesel::prelude::*;
            use einblick::db::schema::access_events;
            access_events::table
                .filter(access_events::customer_ref.eq(ANNA_REF))
                .select(access_events::id)
                .first::<i64>(conn)
        })
        .unwrap()
        .to_string();
    let filed = anna.post_form(
        "/disputes",
        &[
            ("event", &event),
            ("ground", "other"),
            ("statement", "Bitte prüfen."),
        ],
    );
    assert_eq!(filed.status, 303);
    let reference = filed.header("location").unwrap()["/disputes/".len()..][..12].to_owned();

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "one email over SMTP");
    assert!(messages[0].contains(&format!("To: {ANNA}")));
    assert!(messages[0].contains("X-Einblick-Notice: received"));
    assert!(messages[0].contains(&format!("X-Einblick-Reference: {reference}")));
    assert!(
        app.outbox_emails().is_empty(),
        "nothing in the outbox while SMTP works"
    );

    // SMTP is down: the next email is kept in the outbox, the change itself stands.
    smtp.stop();
    let withdrawn = anna.post_form(&format!("/disputes/{reference}/withdraw"), &[]);
    assert_eq!(withdrawn.status, 303);
    let kept = app.outbox_emails();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].notice, "withdrawn");
}
