//! A private `nats-server -js` for integration tests: a free loopback port, a temporary store
//! directory, killed on drop. Tests that use it are hermetic and run in parallel.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server` owned by a test.
pub struct NatsServer {
    child: Child,
    port: u16,
    _store: tempfile_dir::TempDir,
}

mod tempfile_dir {
    /// Minimal temp dir (avoids making `tempfile` a runtime dependency of every service).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Finds `nats-server`: `$NATS_SERVER_BIN`, then `PATH`, then `/usr/sbin` and `/usr/bin`.
pub fn nats_server_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("NATS_SERVER_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/sbin".into());
    dirs.push("/usr/bin".into());
    dirs.into_iter()
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

impl NatsServer {
    /// Starts `nats-server -js` on a free port with a fresh store and waits until it accepts
    /// connections. Panics (this is test support) when the binary is missing or it fails to start.
    pub fn start() -> Self {
        let bin = nats_server_bin().expect(
            "nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN",
        );
        let store =
            std::env::temp_dir().join(format!("gsa-nats-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&store).expect("create nats store dir");
        Self::start_with(
            &bin,
            &store,
            free_port(),
            tempfile_dir::TempDir(store.clone()),
        )
    }

    fn start_with(bin: &Path, store: &Path, port: u16, guard: tempfile_dir::TempDir) -> Self {
        let child = Command::new(bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nats-server");
        let server = Self {
            child,
            port,
            _store: guard,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
