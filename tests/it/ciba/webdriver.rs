//! A small W3C WebDriver client (https://www.w3.org/TR/webdriver2/) for
//! driving headless Chromium through `chromedriver` over plain HTTP on
//! loopback: new session, navigate, find elements, type, click, read text,
//! take a screenshot. Every lookup waits explicitly, polling until the
//! element is there or a deadline passes; nothing sleeps a fixed time.
//!
//! `chromedriver` runs as a child in its own process group; [`Driver`]'s
//! `Drop` kills the whole group (the driver and the browser it started),
//! so a failing test leaves no browser behind.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// What to install when the browser is missing (Debian; `scripts/prereqs.sh`
/// installs it for `.ci/run`).
pub const INSTALL: &str = "apt-get install -y chromium chromium-driver";
/// The browser binary.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The WebDriver server.
pub const CHROMEDRIVER: &str = "chromedriver";
/// How long any wait lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);
/// The W3C element reference key (WebDriver §12.1).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running `chromedriver`, killed with its browsers on drop.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits until it is
    /// ready (`GET /status`, WebDriver §8.3). Fails, naming the install
    /// line, when Chromium or chromedriver is missing.
    pub async fn start() -> Self {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: the browser test needs Chromium. Run: {INSTALL}"
        );
        let port = super::super::support::free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so drop can end the browser with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} could not start ({e}). Run: {INSTALL}"));
        let driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(status) = driver.call("GET", "/status", None).await
                && status["ready"] == true
            {
                return driver;
            }
            assert!(Instant::now() < deadline, "{CHROMEDRIVER} did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new session of headless Chromium (WebDriver §8.1) with `args`
    /// added to the default ones.
    pub async fn session(&self, args: &[String]) -> Session<'_> {
        let mut all = vec![
            "--headless=new".to_string(),
            // CI runs as root, where Chromium's sandbox cannot start.
            "--no-sandbox".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-gpu".to_string(),
            "--no-first-run".to_string(),
        ];
        all.extend_from_slice(args);
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": all},
        }}});
        let value = self
            .call("POST", "/session", Some(capabilities))
            .await
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id: {value}"))
            .to_string();
        Session { driver: self, id }
    }

    /// One WebDriver command: the response's `value`, or its error
    /// (WebDriver §6.6) as text.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port))
            .header("content-type", "application/json; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let answer: Value = serde_json::from_slice(&bytes).map_err(|e| format!("{status}: {e}"))?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!(
                "{status} {}: {}",
                value["error"].as_str().unwrap_or("?"),
                value["message"].as_str().unwrap_or("")
            ))
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is the child's pid (process_group(0) above).
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ =
                nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A browser session.
pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session<'_> {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.id);
        self.driver.call(method, &path, body).await
    }

    async fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// Navigates to `url` and waits for the page to load (WebDriver §10.1).
    pub async fn open(&self, url: &str) {
        self.must("POST", "/url", Some(json!({"url": url}))).await;
    }

    /// The document's title.
    pub async fn title(&self) -> String {
        self.must("GET", "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The current page's address.
    pub async fn url(&self) -> String {
        self.must("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The current page's source.
    pub async fn source(&self) -> String {
        self.must("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// All elements matching the CSS `selector` now (possibly none).
    pub async fn all(&self, selector: &str) -> Vec<Element> {
        let found = self
            .must(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": selector})),
            )
            .await;
        found
            .as_array()
            .map(|a| a.iter().filter_map(reference).collect())
            .unwrap_or_default()
    }

    /// Waits until an element matches `selector` and its text contains
    /// `text` (any text when empty); fails with what the page showed.
    pub async fn wait_for(&self, selector: &str, text: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            for element in self.all(selector).await {
                if self.text(&element).await.contains(text) {
                    return element;
                }
            }
            if Instant::now() >= deadline {
                let source = self.source().await;
                let shown: String = source.chars().take(4000).collect();
                panic!(
                    "no `{selector}` containing {text:?} within {WAIT:?} at {}; the page began:\n{shown}",
                    self.url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element's rendered text (WebDriver §12.4.5).
    pub async fn text(&self, element: &Element) -> String {
        // An element gone since it was found (the page changed) reads as
        // empty, so a wait goes on polling.
        self.call("GET", &format!("/element/{}/text", element.0), None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Types `keys` into the element (WebDriver §12.5.3).
    pub async fn type_into(&self, element: &Element, keys: &str) {
        self.must(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({"text": keys})),
        )
        .await;
    }

    /// Clicks the element (WebDriver §12.5.1).
    pub async fn click(&self, element: &Element) {
        self.must("POST", &format!("/element/{}/click", element.0), Some(json!({})))
            .await;
    }

    /// A PNG of the viewport (WebDriver §17.1), saved at `path`; its bytes.
    pub async fn screenshot(&self, path: &Path) -> Vec<u8> {
        let encoded = self.must("GET", "/screenshot", None).await;
        let png = STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot is not base64: {e}"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, &png).unwrap();
        png
    }

    /// Ends the session, closing the browser (WebDriver §8.2).
    pub async fn quit(self) {
        let _ = self.call("DELETE", "", None).await;
    }
}

/// The element reference in a found element.
fn reference(found: &Value) -> Option<Element> {
    found[ELEMENT].as_str().map(|id| Element(id.to_string()))
}
