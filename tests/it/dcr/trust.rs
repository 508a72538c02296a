//! Continuous trust: the OP re-checks registered software at the real
//! sandbox directory (`fiducia::directory`, over TLS) every second;
//! revoking the software there suspends the client and revokes its tokens,
//! reinstating it makes the client usable again, and a directory that
//! cannot be reached changes nothing (fail-static).

use super::super::flow::harness::*;
use super::super::support::{self, *};
use super::*;
use fiducia::directory::server::{self, DirectoryServer};
use fiducia::directory::state::{Profile, Status};
use fiducia::directory::{Directory, DirectoryOptions, NewOrganisation, NewSoftware, Target};
use std::time::{Duration, Instant};

const TRUST_ISSUER: &str = "Trust Directory";
const TRUST_ORG: &str = "0015800001041TRUST";
const TRUST_SOFTWARE: &str = "trusted-fintech-app";

/// The OP and a sandbox directory sharing the test CA (the directory's
/// transport certificates chain to the OP's `tls.client_ca`).
pub struct TrustSetup {
    pub op: Op,
    pub directory: Arc<Directory>,
    pub server: Option<DirectoryServer>,
    /// The software's transport certificate and key (PEM), as the directory wrote them.
    pub identity: (String, String),
    pub ca: std::path::PathBuf,
}

impl TrustSetup {
    pub async fn start() -> Self {
        Self::start_with("").await
    }

    /// [`TrustSetup::start`] with `directory_extra` appended to the
    /// trusted directory's entry (`{url}` in it is the directory's URL).
    pub async fn start_with(directory_extra: &str) -> Self {
        let pki = TestPki::new();
        let port = free_port();
        let url = format!("https://localhost:{port}");
        let data = pki.dir.path().join("directory");
        let directory = Directory::open(
            &data,
            &DirectoryOptions {
                issuer: Some(TRUST_ISSUER.into()),
                public_url: Some(url.clone()),
                ssa_ttl_secs: Some(300),
                ca_dir: Some(pki.path("")),
            },
        )
        .unwrap();
        let now = now();
        directory
            .add_organisation(
                NewOrganisation {
                    org_id: Some(TRUST_ORG.into()),
                    org_name: "Trusted Fintech Ltd".into(),
                    country: None,
                    profile: Profile::Uk,
                },
                now,
            )
            .unwrap();
        directory
            .add_software(
                NewSoftware {
                    org_id: TRUST_ORG.into(),
                    software_id: Some(TRUST_SOFTWARE.into()),
                    client_name: "Trusted Fintech App".into(),
                    redirect_uris: vec![REDIRECT.into()],
                    roles: vec!["AISP".into()],
                },
                now,
            )
            .unwrap();
        let directory = Arc::new(directory);
        let listen = format!("127.0.0.1:{port}").parse().unwrap();
        let server = server::start(directory.clone(), listen).await.unwrap();
        let software = data.join("software").join(TRUST_SOFTWARE);
        let identity = (
            std::fs::read_to_string(software.join("transport.pem")).unwrap(),
            std::fs::read_to_string(software.join("transport.key")).unwrap(),
        );
        let ca = pki.ca();
        let directory_extra = directory_extra.replace("{url}", &url);
        let extra = format!(
            r#"
[registration]
enabled = true
status_check_interval_secs = 1

[[registration.trusted_directories]]
issuer = "{TRUST_ISSUER}"
jwks_uri = "{url}/jwks"
status_endpoint = "{url}/software/{{software_id}}/status"
{directory_extra}
"#
        );
        let op = Op::start_in(pki, "", |_| extra).await;
        TrustSetup {
            op,
            directory,
            server: Some(server),
            identity,
            ca,
        }
    }

    /// The answer to registering the software as a `tls_client_auth`
    /// client over `identity`, with a fresh statement.
    pub async fn registration(&self, identity: &(String, String)) -> Response<Bytes> {
        send_as(
            &self.op,
            Some(identity),
            json_request(
                "POST",
                "/register",
                None,
                &json!({
                    "software_statement": self.ssa().await,
                    "token_endpoint_auth_method": "tls_client_auth",
                    "redirect_uris": [REDIRECT],
                    "scope": AISP_SCOPE,
                }),
            ),
        )
        .await
    }

    /// Registers the software as a `tls_client_auth` client over
    /// `identity`; its `client_id` and registration access token.
    pub async fn register(&self, identity: &(String, String)) -> (String, String) {
        let response = self.registration(identity).await;
        assert_status(&response, 201);
        let registered = json(response.body());
        (
            registered["client_id"].as_str().unwrap().to_string(),
            registered["registration_access_token"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// A fresh SSA from the directory, asked for over mTLS with the
    /// software's own transport certificate.
    pub async fn ssa(&self) -> String {
        let software = (
            self.identity_path("transport.pem"),
            self.identity_path("transport.key"),
        );
        let tls = support::client_tls_files(&self.ca, Some((&software.0, &software.1)));
        let request = Request::post(format!("https://localhost/software/{TRUST_SOFTWARE}/ssa"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let addr = self.server.as_ref().unwrap().addr;
        let response = support::send(addr, tls, Version::Http1, request).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
        String::from_utf8(response.body().to_vec()).unwrap()
    }

    pub fn identity_path(&self, name: &str) -> std::path::PathBuf {
        self.op
            .pki
            .dir
            .path()
            .join("directory/software")
            .join(TRUST_SOFTWARE)
            .join(name)
    }

    pub fn set_status(&self, status: Status) {
        self.directory
            .set_status(&Target::Software(TRUST_SOFTWARE.into()), status, now())
            .unwrap();
    }

    /// PAR over the software's certificate: 201, or 401 `invalid_client` once suspended.
    pub async fn par_status(&self, client_id: &str) -> u16 {
        let (_, challenge) = pkce();
        let par = cert_par(client_id, &challenge, AISP_SCOPE);
        send_as(&self.op, Some(&self.identity), par)
            .await
            .status()
            .as_u16()
    }

    /// Waits (at most 10 s, the interval being 1 s) until PAR answers `status`.
    pub async fn wait_for_par(&self, client_id: &str, status: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.par_status(client_id).await != status {
            assert!(Instant::now() < deadline, "PAR never answered {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// RFC 7591 §2.3 + UK OBIE / CDR directory status: revoked software is
/// suspended with its tokens revoked (RFC 7662 §2.2 inactive, RFC 6750 §3.1
/// at userinfo), reinstated software gets tokens again, an unreachable
/// directory suspends nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_software_is_suspended_and_reinstated_software_gets_tokens_again() {
    let setup = TrustSetup::start().await;
    let op = &setup.op;
    let identity = Some(&setup.identity);
    let (client_id, access_token) = setup.register(&setup.identity).await;

    let tokens = mtls_flow_as(op, identity, &client_id, AISP_SCOPE).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo_mtls_as(op, identity, &token).await.status(), 200);
    // Checks against an Active software change nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(setup.par_status(&client_id).await, 201);

    // A statement fetched while the software was still Active.
    let earlier_ssa = setup.ssa().await;

    // Revoked at the directory: suspended within an interval.
    setup.set_status(Status::Revoked);
    setup.wait_for_par(&client_id, 401).await;
    // RFC 7592 §2.2: an update (with that still fresh statement) does not
    // lift the suspension; only the directory's status does.
    let update = json!({
        "client_id": client_id,
        "software_statement": earlier_ssa,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": [REDIRECT],
        "scope": AISP_SCOPE,
    });
    let path = format!("/register/{client_id}");
    let updated = send_as(
        op,
        identity,
        json_request("PUT", &path, Some(&access_token), &update),
    )
    .await;
    assert_status(&updated, 200);
    // RFC 7592 §3: the update rotated the registration access token.
    let access_token = json(updated.body())["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(setup.par_status(&client_id).await, 401);
    let (_, challenge) = pkce();
    let refused = send_as(op, identity, cert_par(&client_id, &challenge, AISP_SCOPE)).await;
    assert_error(&refused, 401, "invalid_client");
    let introspect = form("/introspect", &[("token", &token), ("client_id", GATEWAY)]);
    assert_eq!(json(op.send_as_gateway(introspect).await.body())["active"], false);
    let userinfo = userinfo_mtls_as(op, identity, &token).await;
    assert_eq!(userinfo.status(), 401, "RFC 6750 §3.1: the token was revoked");

    // Reinstated: usable again, with new tokens; the old one stays revoked.
    setup.set_status(Status::Active);
    setup.wait_for_par(&client_id, 201).await;
    let tokens = mtls_flow_as(op, identity, &client_id, AISP_SCOPE).await;
    let fresh = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_mtls_as(op, identity, fresh).await.status(), 200);
    assert_eq!(userinfo_mtls_as(op, identity, &token).await.status(), 401);
    // RFC 7592 §3: the registration access token survived the suspension.
    let read = send_as(
        op,
        identity,
        json_request(
            "GET",
            &format!("/register/{client_id}"),
            Some(&access_token),
            &json!({}),
        )
        .map(|_| Full::new(Bytes::new())),
    )
    .await;
    assert_eq!(read.status(), 200, "{}", String::from_utf8_lossy(read.body()));

    // Fail-static: the directory goes away; the client is not suspended.
    let mut setup = setup;
    setup.server.take().unwrap().shutdown().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(setup.par_status(&client_id).await, 201);
    // The only node on its store holds the trust lease (it ran the checks).
    assert!(setup.op.handle.holds_trust_lease());
    let (_, metrics) = admin_get(setup.op.handle.admin_addr, "/metrics").await;
    for name in [
        "fiducia_trust_suspensions_total",
        "fiducia_trust_reinstatements_total",
        "fiducia_trust_check_failures_total",
        "fiducia_trust_consecutive_failures",
        "fiducia_trust_lease_held",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}
