//! A private `nats-server -js` for integration tests: a free loopback port, a temporary store
//! directory, killed on drop; it can be stopped and restarted on the same port and store. And
//! a three-node (or n-node) JetStream cluster on loopback ports for the replication tests.
//! Tests that use them are hermetic and run in parallel.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server` owned by a test.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
    store: PathBuf,
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
        let mut server = Self {
            child: None,
            port,
            bin: bin.to_path_buf(),
            store: store.to_path_buf(),
            _store: guard,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.bin)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nats-server");
        self.child = Some(child);
        wait_listening(self.port);
    }

    /// Kills the server (SIGKILL, no clean shutdown), keeping its port and store.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port with the same store (after [`Self::stop`]).
    pub fn start_again(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Kills the server and starts it again on the same port with the same store.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
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
        self.stop();
    }
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nats-server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A JetStream cluster of `nats-server` processes on loopback ports (client and route ports
/// picked free), one store directory each, killed on drop.
pub struct NatsCluster {
    bin: PathBuf,
    nodes: Vec<ClusterNode>,
    _dir: tempfile_dir::TempDir,
}

struct ClusterNode {
    child: Option<Child>,
    port: u16,
    conf: PathBuf,
}

impl NatsCluster {
    /// Starts `n` nodes (`n1`..`nN`, cluster `gsa`) routed to each other and waits until each
    /// accepts connections. JetStream needs a moment more to elect a meta leader: callers
    /// retry their first stream creation.
    pub fn start(n: usize) -> Self {
        let bin = nats_server_bin().expect(
            "nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN",
        );
        let dir = std::env::temp_dir().join(format!(
            "gsa-nats-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("create cluster dir");
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let mut nodes = Vec::new();
        for (i, (port, route)) in ports.iter().enumerate() {
            let store = dir.join(format!("n{}", i + 1));
            std::fs::create_dir_all(&store).expect("create node store");
            let routes: Vec<String> = ports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (_, r))| format!("\"nats-route://127.0.0.1:{r}\""))
                .collect();
            let conf = dir.join(format!("n{}.conf", i + 1));
            let text = format!(
                "server_name: n{idx}\nlisten: 127.0.0.1:{port}\n\
                 jetstream {{ store_dir: \"{store}\" }}\n\
                 cluster {{\n  name: gsa\n  listen: 127.0.0.1:{route}\n  routes: [{routes}]\n}}\n",
                idx = i + 1,
                store = store.display(),
                routes = routes.join(", "),
            );
            std::fs::write(&conf, text).expect("write node config");
            nodes.push(ClusterNode {
                child: None,
                port: *port,
                conf,
            });
        }
        let mut cluster = Self {
            bin,
            nodes,
            _dir: tempfile_dir::TempDir(dir),
        };
        for i in 0..n {
            cluster.start_node(i);
        }
        cluster
    }

    /// Starts node `i` (0-based) again with its config and store.
    pub fn start_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if node.child.is_some() {
            return;
        }
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&node.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nats-server");
        node.child = Some(child);
        wait_listening(node.port);
    }

    /// Kills node `i` (0-based, SIGKILL).
    pub fn stop_node(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every node's URL, comma-separated (what `NATS_URL` takes for a cluster).
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Node `i`'s URL.
    pub fn node_url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[i].port)
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.stop_node(i);
        }
    }
}
