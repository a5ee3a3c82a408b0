//! `gsa webhook add|list|remove` through the real binary: the secret is stored (mode 0600)
//! but never printed after `add`, and bad registrations are refused.

use std::process::{Command, Output};

fn gsa(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gsa"))
        .args(args)
        .env("GSA_DATA_DIR", data)
        .env("NATS_URL", "nats://127.0.0.1:9")
        .env_remove("RUST_LOG")
        .output()
        .expect("run gsa")
}

#[test]
fn webhooks_are_added_listed_and_removed_and_the_secret_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "whsec-the-receiver-knows-this-9f8e7d";
    let out = gsa(
        dir.path(),
        &[
            "webhook",
            "add",
            "https://hooks.example.test/gsa",
            "--secret",
            secret,
            "--min-score",
            "85",
            "--state",
            "TX,ok",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = added["id"].as_str().unwrap().to_string();
    assert_eq!(added["states"], serde_json::json!(["TX", "OK"]));
    assert_eq!(added["min_score"], 85);

    let out = gsa(dir.path(), &["webhook", "list"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&id) && stdout.contains("hooks.example.test"));
    for o in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(o).contains(secret));
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("notifier.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let bad = gsa(
        dir.path(),
        &["webhook", "add", "ftp://x/y", "--secret", secret],
    );
    assert!(!bad.status.success());
    assert!(!String::from_utf8_lossy(&bad.stderr).contains(secret));

    assert!(gsa(dir.path(), &["webhook", "remove", &id])
        .status
        .success());
    assert!(!gsa(dir.path(), &["webhook", "remove", &id])
        .status
        .success());
    let out = gsa(dir.path(), &["webhook", "list"]);
    assert!(out.stdout.is_empty());
}
