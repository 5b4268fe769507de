//! A real browser for tests: Debian's headless `chromium` driven through
//! `chromedriver` over the W3C WebDriver protocol (plain HTTP and JSON, so
//! no driver crate). The driver is a child process that ends with its owner.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::process::Process;

pub struct Browser {
    driver: Process,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
}

impl Browser {
    /// Starts `chromedriver` on a free loopback port and a headless
    /// `chromium` session of `width` × `height` pixels.
    pub fn start(width: u32, height: u32) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Process::spawn("chromedriver", Path::new("chromedriver"), &[format!("--port={port}")]);
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start:\n{}", driver.output());
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"],
            },
        }}});
        let created: Value = http.post(format!("{base}/session")).json(&capabilities).send().unwrap().json().unwrap();
        let session = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        let mut browser = Self { driver, base, session, http };
        browser.resize(width, height);
        browser
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method, url);
        let request = if body.is_null() { request } else { request.json(&body) };
        let response: Value = request.send().unwrap().json().unwrap();
        if let Some(error) = response["value"].get("error") {
            panic!("webdriver {path}: {error} {}", response["value"]["message"]);
        }
        response["value"].clone()
    }

    pub fn resize(&mut self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", json!({ "width": width, "height": height }));
    }

    pub fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the
    /// page and returns its value, awaiting a promise.
    pub fn run(&self, script: &str, args: Value) -> Value {
        let args = if args.is_null() { json!([]) } else { args };
        self.call(reqwest::Method::POST, "/execute/sync", json!({ "script": script, "args": args }))
    }

    /// The text of the element with id `id` ("" while it is missing).
    pub fn text(&self, id: &str) -> String {
        let value = self.run("const e = document.getElementById(arguments[0]); return e ? e.textContent : '';", json!([id]));
        value.as_str().unwrap_or_default().to_string()
    }

    /// Waits until `done` holds for the element's text, at most `timeout`.
    pub fn wait_for_text(&self, id: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text(id);
            if done(&text) {
                return text;
            }
            assert!(Instant::now() < deadline, "#{id} still reads {text:?} after {timeout:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A PNG of the viewport, written to `path`.
    pub fn screenshot(&self, path: &Path) {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD.decode(encoded.as_str().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send();
        self.driver.terminate(Duration::from_secs(10));
    }
}
