//! The `einblick` binary as an operator meets it.

use crate::helpers::einblick_binary as einblick;

#[test]
fn help_lists_the_three_subcommands() {
    let output = einblick().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for subcommand in ["serve", "migrate", "seed-demo"] {
        assert!(help.contains(subcommand), "{help}");
    }
}

#[test]
fn a_bad_setting_stops_start_up_and_names_the_setting() {
    let output = einblick()
        .arg("serve")
        .env("EINBLICK_SESSION_IDLE_MINUTES", "forever")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("EINBLICK_SESSION_IDLE_MINUTES"),
        "{message}"
    );
    let output = einblick()
        .arg("migrate")
        .env("DATABASE_URL", "mysql://db/einblick")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
}

#[test]
fn migrate_and_seed_demo_are_safe_to_repeat() {
    let dir = std::env::temp_dir().join(format!("einblick-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}/demo.sqlite3", dir.display());
    let run = |sub: &str| {
        let output = einblick()
            .arg(sub)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{sub}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(run("migrate").contains("8 migration(s) applied"));
    assert!(run("migrate").contains("0 migration(s) applied"));
    assert!(run("seed-demo").contains("demo data loaded"));
    assert!(run("seed-demo").contains("already present"));
    let _ = std::fs::remove_dir_all(&dir);
}
