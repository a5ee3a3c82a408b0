//! A service that cannot start stops the process at once with its error and exit status 1,
//! instead of running on without it and reporting only at Ctrl-C (found in a new-user trial:
//! `gsa gateway` with a 5-byte `JWT_SECRET_KEY` logged "listening" and served nothing).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gsa_common::testkit::{free_port, NatsServer};

/// Runs `gsa ARGS` with `env` and a fresh data directory; its exit status and stderr, or a
/// failure if it is still running after 60 s.
fn run_until_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gsa"));
    cmd.args(args)
        .env("NATS_URL", nats.url())
        .env("GSA_DATA_DIR", dir.path().join("data"))
        .env("GSA_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "gsa {args:?} still running after 60 s: {}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (status.code(), std::fs::read_to_string(&log_path).unwrap())
}

#[test]
fn a_gateway_with_a_too_short_jwt_key_exits_1_at_once_with_the_reason() {
    let (code, log) = run_until_exit(&["gateway"], &[("JWT_SECRET_KEY", "short")]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("at least 32 bytes"), "{log}");
}

#[test]
fn gsa_up_with_an_unreadable_scoring_config_stops_every_service_and_exits_1() {
    let (code, log) = run_until_exit(
        &["up"],
        &[("GSA_SCORING_CONFIG", "/nonexistent/scoring.toml")],
    );
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("cannot read scoring config /nonexistent/scoring.toml"),
        "{log}"
    );
    // The cause once, not twice.
    assert_eq!(log.matches("No such file or directory").count(), 1, "{log}");
    // Settings are read before any service starts: the error is the only thing printed (a
    // re-trial saw INFO lines from the workers after it).
    assert_eq!(log.trim().lines().count(), 1, "{log}");
    assert!(!log.contains("INFO"), "{log}");
}

#[test]
fn gsa_up_with_a_too_short_jwt_key_prints_only_the_reason() {
    let (code, log) = run_until_exit(&["up"], &[("JWT_SECRET_KEY", "short")]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("JWT_SECRET_KEY"), "{log}");
    assert!(log.contains("at least 32 bytes"), "{log}");
    assert_eq!(log.trim().lines().count(), 1, "{log}");
}
