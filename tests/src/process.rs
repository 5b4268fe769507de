//! Child processes for multi-process tests. Each is started with its output
//! captured, talks only to loopback, and is ended by its own pid when its
//! guard drops (SIGKILL if still running), so a test leaves nothing behind
//! whether it passes or panics.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Process {
    name: String,
    child: std::process::Child,
    /// Everything it has written, stdout and stderr interleaved by line.
    output: Arc<Mutex<Vec<String>>>,
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line);
        }
    });
}

impl Process {
    pub fn spawn<S: AsRef<OsStr>>(name: &str, program: &Path, args: &[S]) -> Self {
        Self::spawn_with_env(name, program, args, &[])
    }

    pub fn spawn_with_env<S: AsRef<OsStr>>(name: &str, program: &Path, args: &[S], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name} ({}): {e}", program.display()));
        let output = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().expect("piped stdout"), output.clone());
        collect(child.stderr.take().expect("piped stderr"), output.clone());
        Self {
            name: name.to_string(),
            child,
            output,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process has printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// The first line that starts with `prefix` (after leading spaces),
    /// waiting at most `timeout` for it.
    pub fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.output.lock().unwrap().iter().find(|l| l.trim_start().starts_with(prefix)) {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before printing `{prefix}`:\n{}", self.name, self.output());
            }
            assert!(Instant::now() < deadline, "{} did not print `{prefix}` within {timeout:?}:\n{}", self.name, self.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether a line containing `text` has been printed.
    pub fn printed(&self, text: &str) -> bool {
        self.output.lock().unwrap().iter().any(|l| l.contains(text))
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits for it to exit (SIGKILL after `grace`).
    pub fn terminate(&mut self, grace: Duration) -> ExitStatus {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9()
    }

    /// SIGKILL: no chance to clean up, as in a crash.
    pub fn kill9(&mut self) -> ExitStatus {
        self.signal(libc::SIGKILL);
        self.child.wait().expect("wait for the killed process")
    }

    /// Waits for the process to exit by itself, at most `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid, which has not been reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill9();
        }
    }
}

/// A `ballast localnet` (or `ballast-localnet`) process and its URL.
pub struct LocalnetProcess {
    pub process: Process,
    pub url: String,
    pub ledger: PathBuf,
}

impl LocalnetProcess {
    /// Starts `program` with `args` (which must make it serve a local node
    /// on `--ledger ledger` and `--rpc-addr 127.0.0.1:0`) and waits until it
    /// answers.
    pub fn start<S: AsRef<OsStr>>(program: &Path, args: &[S], ledger: &Path) -> Self {
        let mut process = Process::spawn("localnet", program, args);
        let line = process.wait_for_line("rpc ", Duration::from_secs(120));
        let url = line.split_whitespace().last().expect("the rpc line ends with the URL").to_string();
        let mut chain = ballast_sdk::RpcChain::new(&url);
        let deadline = Instant::now() + Duration::from_secs(30);
        while ballast_sdk::Chain::slot(&mut chain).is_err() {
            assert!(Instant::now() < deadline, "the node at {url} did not answer:\n{}", process.output());
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            process,
            url,
            ledger: ledger.to_path_buf(),
        }
    }

    /// The deployer keypair the node made in its ledger.
    pub fn deployer(&self) -> ballast_sdk::Keypair {
        ballast_sdk::keypair::read_keypair_file(self.ledger.join("deployer.json")).expect("the ledger's deployer")
    }
}

/// Another binary of this workspace, built beside `known` (a binary of the
/// package under test, from `env!("CARGO_BIN_EXE_...")`).
pub fn workspace_binary(known: &str, name: &str) -> PathBuf {
    let path = Path::new(known).with_file_name(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace's binaries first (cargo build --workspace)",
        path.display()
    );
    path
}

/// A TCP proxy on loopback in front of `upstream`, which a test can cut
/// (every connection closed, new ones refused) and heal: a network
/// partition between one process and the node it talks to.
pub struct TcpProxy {
    pub address: std::net::SocketAddr,
    open: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<Mutex<Vec<std::net::TcpStream>>>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl TcpProxy {
    pub fn start(upstream: std::net::SocketAddr) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a proxy port");
        let address = listener.local_addr().expect("the proxy's address");
        let open = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::default();
        let (open_flag, stop_flag, registry) = (open.clone(), stop.clone(), connections.clone());
        let accepting = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if !open_flag.load(Ordering::SeqCst) {
                    continue; // dropped: the partition refuses it
                }
                let Ok(server) = std::net::TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
                    continue;
                };
                let pipes = [(client.try_clone(), server.try_clone()), (server.try_clone(), client.try_clone())];
                for (from, to) in pipes {
                    if let (Ok(mut from), Ok(mut to)) = (from, to) {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(std::net::Shutdown::Both);
                        });
                    }
                }
                registry.lock().unwrap().extend([client, server]);
            }
        });
        Self {
            address,
            open,
            stop,
            connections,
            accepting: Some(accepting),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Closes every connection and refuses new ones until [`TcpProxy::heal`].
    pub fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for stream in self.connections.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn heal(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.cut();
        // Wakes the accepting thread so it sees `stop`.
        let _ = std::net::TcpStream::connect(self.address);
        if let Some(thread) = self.accepting.take() {
            let _ = thread.join();
        }
    }
}
