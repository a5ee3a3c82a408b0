//! Logs on stderr carry ANSI colour codes only when stderr is a terminal: redirected to a file
//! (as `gsa up 2>gsa.log` or a service manager does) they are plain text
//! (`gsa_common::telemetry::colour`; found in a new-user trial).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gsa_common::testkit::{free_port, NatsServer};

#[test]
fn a_gateway_logging_to_a_file_writes_no_colour_codes() {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gsa"))
        .arg("gateway")
        .env("NATS_URL", nats.url())
        .env("GSA_DATA_DIR", dir.path().join("data"))
        .env("GSA_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .env_remove("GSA_LOG_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if text.contains("gateway listening") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        text.contains("gateway listening"),
        "the gateway logged its start: {text}"
    );
    assert!(
        text.contains(" INFO "),
        "the level is written as plain text: {text:?}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI escape codes in a log file: {text:?}"
    );
}
