//! The customer's browser as `flow` plays it: a cookie jar (`cookies.rs`,
//! RFC 6265), redirect chains followed (`redirects.rs`, RFC 9110 §15.4) up
//! to the client's `redirect_uri`, which is read and never requested, and
//! the login and consent forms found by the setup's `[browser]` table and
//! submitted as a browser submits them (`pages.rs`, `forms.rs`).
//!
//! Each request is timed into the flow's step stats, one sample per step
//! and flow. A navigation's first request is its own step (`authorize`,
//! `login`, `consent`); the redirects it leads to are summed into the step
//! of the page they lead to (`login_page`, `consent_page`), or into the
//! first request's step when they end at the redirect_uri (a consent's, or
//! a login's at an OP that asks no consent). Against Fiducia, whose pages
//! redirect once, the steps are the same requests as they always were.

pub mod cookies;
pub mod forms;
pub mod pages;
pub mod redirects;

use super::context::{Ctx, Worker, client_error, expect};
use crate::http;
use crate::setup::BrowserConfig;
use crate::stats::{Failure, Steps};
use bytes::Bytes;
use cookies::Jar;
use pages::Page;
use redirects::{MAX_REDIRECTS, Navigation, RedirectUri, Target};
use std::time::{Duration, Instant, SystemTime};

/// OAuth `error` values kept in a failure at most this long: the error
/// table of a run must not grow with what a server writes.
const MAX_ERROR_CHARS: usize = 64;

/// Where a navigation ended.
pub enum Landing {
    /// A page (200).
    Page(Page),
    /// A redirect to the client's `redirect_uri` without `error`: the
    /// authorization response's parameters (RFC 6749 §4.1.2).
    Back(Vec<(String, String)>),
}

/// The customer's browser for one flow: its cookies, how it finds forms,
/// and where it stops.
pub struct Browser<'a> {
    jar: Jar,
    pub config: &'a BrowserConfig,
    redirect_uri: RedirectUri,
}

impl<'a> Browser<'a> {
    pub fn new(config: &'a BrowserConfig, redirect_uri: &str) -> Self {
        Self {
            jar: Jar::default(),
            config,
            redirect_uri: RedirectUri::new(redirect_uri),
        }
    }

    /// Makes `request` and follows its redirects (at most
    /// [`MAX_REDIRECTS`]) to a page or to the redirect_uri. `first` names
    /// the first request's step, `then` the redirects' (unless they end at
    /// the redirect_uri). A redirect to the redirect_uri with an `error`
    /// fails as `first: STATUS error`.
    #[allow(clippy::too_many_arguments)]
    pub async fn navigate(
        &mut self,
        worker: &mut Worker,
        ctx: &Ctx,
        mut request: Navigation,
        first: &'static str,
        then: &'static str,
        steps: &mut Steps,
    ) -> Result<Landing, Failure> {
        let mut timings = Timings::default();
        let mut step = first;
        // Whether the chain reached the redirect_uri: its redirects are then
        // the first request's step's, there is no page.
        let mut back_at_client = false;
        let result = 'chain: {
            for _ in 0..=MAX_REDIRECTS {
                let started = Instant::now();
                let response = match self.send(worker, ctx, step, &request).await {
                    Ok(r) => r,
                    Err(e) => break 'chain Err(e),
                };
                timings.add(step, started.elapsed());
                let status = response.status().as_u16();
                if !redirects::is_redirect(status) {
                    break 'chain expect(step, &response, 200).map(|()| {
                        Landing::Page(Page {
                            url: request.url,
                            html: String::from_utf8_lossy(response.body()).into_owned(),
                        })
                    });
                }
                let Some(location) = header(&response, "location") else {
                    break 'chain Err(Failure::new(
                        step,
                        format!("unexpected: {status} without Location"),
                    ));
                };
                match redirects::target(&request.url, &location, &self.redirect_uri) {
                    Ok(Target::Back(params)) => {
                        // Named, like its time, by the step that led here.
                        back_at_client = true;
                        break 'chain back(first, status, params);
                    }
                    Ok(Target::Follow(url)) => {
                        request = redirects::next(status, request, url);
                        step = then;
                    }
                    Err(_) => {
                        break 'chain Err(Failure::new(
                            step,
                            format!("unexpected: {status} to a Location that is not https"),
                        ));
                    }
                }
            }
            Err(Failure::new(
                step,
                format!("unexpected: too many redirects (more than {MAX_REDIRECTS})"),
            ))
        };
        timings.record(steps, back_at_client.then_some((then, first)));
        result
    }

    /// One request with the cookies it matches; the answer's cookies kept.
    async fn send(
        &mut self,
        worker: &mut Worker,
        ctx: &Ctx,
        step: &'static str,
        request: &Navigation,
    ) -> Result<::http::Response<Bytes>, Failure> {
        let url = &request.url;
        let cookie = self.jar.header(&url.host, &url.path, SystemTime::now());
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        let built = match &request.form {
            None => http::get(url, &headers),
            Some(form) => {
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                http::post_form(url, &pairs, &headers)
            }
        };
        let response = worker
            .send(ctx, step, url, false, built.map_err(client_error(step))?)
            .await?;
        let now = SystemTime::now();
        for value in response.headers().get_all("set-cookie") {
            if let Ok(value) = value.to_str() {
                // A refused cookie is ignored, as browsers ignore it.
                let _ = self.jar.store(value, &url.host, &url.path, now);
            }
        }
        Ok(response)
    }
}

/// The authorization response at the redirect_uri: its parameters, or the
/// failure its `error` names (RFC 6749 §4.1.2.1).
fn back(step: &'static str, status: u16, params: Vec<(String, String)>) -> Result<Landing, Failure> {
    match params.iter().find(|(k, _)| k == "error") {
        Some((_, error)) => {
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            Err(Failure::new(step, format!("{status} {error}")))
        }
        None => Ok(Landing::Back(params)),
    }
}

/// The time of a navigation's requests by step, one sample per step.
#[derive(Default)]
struct Timings(Vec<(&'static str, Duration)>);

impl Timings {
    fn add(&mut self, step: &'static str, took: Duration) {
        match self.0.iter_mut().find(|(s, _)| *s == step) {
            Some((_, total)) => *total += took,
            None => self.0.push((step, took)),
        }
    }

    /// Records the samples, those of `rename`'s first step as its second's.
    fn record(mut self, steps: &mut Steps, rename: Option<(&'static str, &'static str)>) {
        if let Some((from, to)) = rename
            && let Some(i) = self.0.iter().position(|(s, _)| *s == from)
        {
            let (_, took) = self.0.remove(i);
            self.add(to, took);
        }
        for (step, took) in self.0 {
            steps.record(step, took);
        }
    }
}

/// A response header as a string.
pub fn header(response: &::http::Response<Bytes>, name: &str) -> Option<String> {
    response.headers().get(name)?.to_str().ok().map(String::from)
}
