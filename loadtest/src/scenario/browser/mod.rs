//! The customer's browser as `flow` plays it: cookies kept, the OP's pages
//! fetched, their forms (action and `csrf` field) read and posted, redirects
//! read from `Location` and never followed to the fintech.

pub mod cookies;
pub mod forms;

use super::context::{Ctx, Worker, client_error, expect};
use crate::http::{self, Url};
use crate::stats::{Failure, Steps};
use bytes::Bytes;
use std::time::Instant;

/// The customer's browser for one flow: its cookies.
#[derive(Default)]
pub(super) struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub(super) async fn get(
        &mut self,
        worker: &mut Worker,
        ctx: &Ctx,
        step: &'static str,
        url: &Url,
        steps: &mut Steps,
    ) -> Result<::http::Response<Bytes>, Failure> {
        let cookie = self.cookie_header();
        let request = http::get(url, &cookie_pair(&cookie)).map_err(client_error(step))?;
        self.send(worker, ctx, step, url, request, steps).await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn post(
        &mut self,
        worker: &mut Worker,
        ctx: &Ctx,
        step: &'static str,
        url: &Url,
        params: &[(&str, &str)],
        steps: &mut Steps,
    ) -> Result<::http::Response<Bytes>, Failure> {
        let cookie = self.cookie_header();
        let request = http::post_form(url, params, &cookie_pair(&cookie)).map_err(client_error(step))?;
        self.send(worker, ctx, step, url, request, steps).await
    }

    async fn send(
        &mut self,
        worker: &mut Worker,
        ctx: &Ctx,
        step: &'static str,
        url: &Url,
        request: ::http::Request<http_body_util::Full<Bytes>>,
        steps: &mut Steps,
    ) -> Result<::http::Response<Bytes>, Failure> {
        let started = Instant::now();
        let response = worker.send(ctx, step, url, false, request).await?;
        steps.record(step, started.elapsed());
        for value in response.headers().get_all("set-cookie") {
            let Some((name, value)) = value
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .and_then(|p| p.split_once('='))
            else {
                continue;
            };
            self.cookies.retain(|(n, _)| n != name.trim());
            self.cookies
                .push((name.trim().to_string(), value.trim().to_string()));
        }
        Ok(response)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn cookie_pair(cookie: &str) -> Vec<(&str, &str)> {
    match cookie.is_empty() {
        true => Vec::new(),
        false => vec![("cookie", cookie)],
    }
}

/// The 303 (or 302) `Location` of `response`, resolved against `base`.
pub(super) fn redirect(
    step: &'static str,
    base: &Url,
    response: &::http::Response<Bytes>,
) -> Result<Url, Failure> {
    if !matches!(response.status().as_u16(), 302 | 303) {
        expect(step, response, 303)?;
    }
    let location =
        header(response, "location").ok_or_else(|| Failure::new(step, "unexpected: no Location"))?;
    base.join(&location).map_err(client_error(step))
}

/// The form's `action` (resolved against `page_url`) and its `csrf` field.
pub(super) fn form_of(
    step: &'static str,
    page_url: &Url,
    page: &::http::Response<Bytes>,
) -> Result<(Url, String), Failure> {
    let html =
        std::str::from_utf8(page.body()).map_err(|_| Failure::new(step, "unexpected: page is not UTF-8"))?;
    let csrf = attribute_after(html, "name=\"csrf\"", "value")
        .ok_or_else(|| Failure::new(step, "unexpected: no csrf field"))?;
    let action = match attribute_after(html, "<form", "action") {
        Some(a) => page_url
            .join(&a.replace("&amp;", "&"))
            .map_err(client_error(step))?,
        None => page_url.clone(),
    };
    Ok((action, csrf))
}

/// The value of `attr="..."` after the first `marker` in `html`.
fn attribute_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let from = html.find(marker)?;
    let needle = format!("{attr}=\"");
    let start = html[from..].find(&needle)? + from + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A response header as a string.
pub(super) fn header(response: &::http::Response<Bytes>, name: &str) -> Option<String> {
    response.headers().get(name)?.to_str().ok().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_give_their_action_and_csrf_field() {
        let html = r#"<p>x</p><form method="post" action="/login/int-1"><input type="hidden" name="csrf" value="abc"></form>"#;
        assert_eq!(
            attribute_after(html, "<form", "action").as_deref(),
            Some("/login/int-1")
        );
        assert_eq!(
            attribute_after(html, "name=\"csrf\"", "value").as_deref(),
            Some("abc")
        );
    }
}
