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
    let migrations =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))
            .unwrap()
            .count();
    assert!(run("migrate").contains(&format!("{migrations} migration(s) applied")));
    assert!(run("migrate").contains("0 migration(s) applied"));
    assert!(run("seed-demo").contains("demo data loaded"));
    assert!(run("seed-demo").contains("already present"));
    let _ = std::fs::remove_dir_all(&dir);
}

crate::both_backends!(service_tokens_and_customer_imports_from_the_command_line);

fn service_tokens_and_customer_imports_from_the_command_line(backend: crate::helpers::Backend) {
    let database = crate::helpers::ScratchDatabase::new(backend);
    let dir = crate::helpers::tempfile_dir::TempDir::new(&format!(
        "{}_customers",
        crate::helpers::unique_name()
    ));
    let outbox = dir.0.join("outbox");
    let run = |args: &[&str]| {
        let output = einblick()
            .args(args)
            .env("DATABASE_URL", database.url())
            .env("EINBLICK_OUTBOX_DIR", &outbox)
            .env("EINBLICK_PUBLIC_URL", "https://einblick.example.com")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, created) = run(&["service-token", "create", "--label", "Shop backend"]);
    assert!(ok, "{created}");
    let token = created
        .lines()
        .find(|l| l.starts_with("ebs_"))
        .expect("the token is printed");
    let (_, listed) = run(&["service-token", "list"]);
    assert!(
        listed.contains("Shop backend") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(token), "the list shows the token itself");
    let id = listed.split('\t').next().unwrap().trim().to_owned();
    let (ok, revoked) = run(&["service-token", "revoke", &id]);
    assert!(ok && revoked.contains("revoked"), "{revoked}");
    let (ok, again) = run(&["service-token", "revoke", &id]);
    assert!(!ok && again.contains("no active service token"), "{again}");

    let file = dir.0.join("customers.csv");
    std::fs::write(
        &file,
        "customer_ref,email,name,locale,time_zone,high_profile\n\
         C-5001,erika@example.org,\"Mustermann, Erika\",de-DE,Europe/Berlin,\n\
         C-5002,,Max Ohnemail,en,,\n\
         C-5003,not-an-address,Bad Line,de,,\n\
         C-5004,promi@example.org,Paula Promi,de,Europe/Vienna,yes\n",
    )
    .unwrap();
    let (ok, first) = run(&["customers", "import", file.to_str().unwrap(), "--invite"]);
    assert!(ok, "{first}");
    assert!(
        first.contains("3 new, 0 updated, 0 unchanged, 1 rejected"),
        "{first}"
    );
    assert!(first.contains("2 invitation(s) sent"), "{first}");
    assert!(first.contains("line 4: email must be"), "{first}");
    let (ok, second) = run(&["customers", "import", file.to_str().unwrap(), "--invite"]);
    assert!(ok, "{second}");
    assert!(
        second.contains("0 new, 0 updated, 3 unchanged, 1 rejected"),
        "{second}"
    );
    assert!(second.contains("0 invitation(s) sent"), "{second}");
    let invitations: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(invitations.len(), 2);
    assert!(invitations
        .iter()
        .all(|mail| mail.contains("X-Einblick-Notice: invitation")));
}

crate::both_backends!(the_directory_import_and_the_backtest_from_the_command_line);

fn the_directory_import_and_the_backtest_from_the_command_line(backend: crate::helpers::Backend) {
    let database = crate::helpers::ScratchDatabase::new(backend);
    let dir = crate::helpers::tempfile_dir::TempDir::new(&format!(
        "{}_directory",
        crate::helpers::unique_name()
    ));
    let run = |args: &[&str]| {
        let output = einblick()
            .args(args)
            .env("DATABASE_URL", database.url())
            .env("EINBLICK_LOG_KEY_DIR", dir.0.join("keys"))
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, seeded) = run(&["seed-demo"]);
    assert!(ok, "{seeded}");

    let file = dir.0.join("directory.csv");
    std::fs::write(
        &file,
        "employee_id,surname,postcode,team,shift,active,customer_ref\n\
         E-1001,Lindqvist,20095,Support Berlin,08-17,true,\n\
         E-1002,Okafor,80331,Support Berlin,8 to 17,true,\n\
         E-1004,Brandt,50667,Warehouse Erfurt,22-06,no,C-900001\n",
    )
    .unwrap();
    let (ok, first) = run(&["directory", "import", file.to_str().unwrap()]);
    assert!(ok, "{first}");
    assert!(
        first.contains("directory imported: 2 stored, 0 unchanged, 1 rejected"),
        "{first}"
    );
    assert!(first.contains("line 3: shift"), "{first}");
    let (ok, again) = run(&["directory", "import", file.to_str().unwrap()]);
    assert!(ok, "{again}");
    assert!(
        again.contains("0 stored, 2 unchanged, 1 rejected; 0 access(es) judged again"),
        "{again}"
    );

    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let year_ago = tomorrow - chrono::Duration::days(400);
    let (from, to) = (year_ago.to_string(), tomorrow.to_string());
    let (ok, all) = run(&["detect", "--from", &from, "--to", &to]);
    assert!(ok, "{all}");
    assert!(all.contains("explained ("), "{all}");
    let fired = |report: &str, rule: &str| -> u64 {
        report
            .lines()
            .find(|l| l.split_whitespace().next() == Some(rule))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{rule} is not in the report: {report}"))
    };
    // The demo's neighbour and night-time browser are found; every rule has its line.
    assert!(fired(&all, "same_surname_or_postcode") > 0, "{all}");
    assert!(fired(&all, "high_profile") >= 40, "{all}");
    fired(&all, "self_lookup");
    let (ok, one) = run(&[
        "detect",
        "--from",
        &from,
        "--to",
        &to,
        "--rule",
        "high_profile",
    ]);
    assert!(ok, "{one}");
    assert_eq!(fired(&one, "high_profile"), fired(&all, "high_profile"));
    assert!(!one.contains("same_surname_or_postcode"), "{one}");

    let (ok, refused) = run(&["detect", "--from", &from, "--to", &to, "--rule", "gossip"]);
    assert!(
        !ok && refused.contains("--rule: one of no_reason"),
        "{refused}"
    );
    let (ok, refused) = run(&["detect", "--from", &to, "--to", &from]);
    assert!(
        !ok && refused.contains("--to must be after --from"),
        "{refused}"
    );
}
