//! `einblick import` and `einblick token`: the operator's side of the feed.

use std::io::Write;
use std::process::Command;

fn einblick(url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_einblick"));
    command.env("DATABASE_URL", url).env("EINBLICK_LOG", "warn");
    command
}

fn line(id: usize) -> String {
    serde_json::json!({
        "specversion": "1.0", "id": format!("imp-{id}"), "source": "/import/test", "type": "einblick.access.v1",
        "time": "2026-10-01T08:00:00+02:00",
        "data": {
            "customer_ref": "C-100042", "actor": { "employee_id": "E-1", "role": "cs_agent_t1" },
            "data_category": "purchase_history", "action": "view", "reason": { "code": "none" }
        }
    })
    .to_string()
}

#[test]
fn a_gzip_import_is_safe_to_run_twice() {
    let dir = std::env::temp_dir().join(format!("einblick-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/import.sqlite3", dir.display());
    let file = dir.join("events.ndjson.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&file).unwrap(),
        flate2::Compression::fast(),
    );
    for id in 0..2500 {
        writeln!(gz, "{}", line(id)).unwrap();
    }
    writeln!(gz, "{{\"specversion\": \"1.0\"}}").unwrap();
    gz.finish().unwrap();

    let run = || {
        let output = einblick(&url).arg("import").arg(&file).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (first, progress) = run();
    assert!(
        first.contains("2500 accepted, 0 duplicates, 1 rejected"),
        "{first}"
    );
    assert!(
        first.contains("line 2501"),
        "the rejected line is named: {first}"
    );
    assert!(progress.contains("lines"), "progress is shown: {progress}");
    let (second, _) = run();
    assert!(
        second.contains("0 accepted, 2500 duplicates, 1 rejected"),
        "{second}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_token_is_printed_once_and_can_be_revoked() {
    let dir = std::env::temp_dir().join(format!("einblick-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}/token.sqlite3", dir.display());
    let output = einblick(&url)
        .args(["token", "create", "--source", "/crm/support-console"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    let token = printed
        .lines()
        .find(|l| l.starts_with("ebf_"))
        .expect("the token is printed");
    let list = einblick(&url).args(["token", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("/crm/support-console") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(token), "the token itself is never listed");
    assert!(einblick(&url)
        .args(["token", "revoke", "1"])
        .output()
        .unwrap()
        .status
        .success());
    assert!(String::from_utf8_lossy(
        &einblick(&url)
            .args(["token", "list"])
            .output()
            .unwrap()
            .stdout
    )
    .contains("revoked"));
    let missing_source = einblick(&url).args(["token", "create"]).output().unwrap();
    assert!(!missing_source.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
