//! The sandbox regulatory directory over real TLS: SSAs, certificates, statuses,
//! persistence and the `fiducia directory` commands.

mod certificates;
mod lifecycle;
mod ssa;

use super::support::{self, Version};
use bytes::Bytes;
use fiducia::directory::server::{self, DirectoryServer};
use fiducia::directory::state::Profile;
use fiducia::directory::{Directory, DirectoryOptions, NewOrganisation, NewSoftware};
use http::{Request, Response};
use http_body_util::Full;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The UK organisation and its software.
pub const UK_ORG: &str = "0015800001041RHAAY";
pub const UK_SOFTWARE: &str = "uk-fintech-app";
/// The Brazil organisation and its software.
pub const BR_ORG: &str = "74e929d9-33b6-4d85-8ba7-c146c867a817";
pub const BR_SOFTWARE: &str = "b7c7f2a1-1f2e-4b8e-9d0a-3c5e7f9a1b2c";
/// The SSA lifetime the tests configure.
pub const SSA_TTL: u64 = 300;
pub const ISSUER: &str = "Test Directory";

/// A directory in a temporary data directory, served on a loopback port.
pub struct TestDirectory {
    pub dir: tempfile::TempDir,
    pub directory: Arc<Directory>,
    pub server: Option<DirectoryServer>,
    pub url: String,
    port: u16,
}

impl TestDirectory {
    /// A directory with a UK and a Brazil organisation, one software each.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = support::free_port();
        let url = format!("https://localhost:{port}");
        let directory = Directory::open(
            &dir.path().join("directory"),
            &DirectoryOptions {
                issuer: Some(ISSUER.into()),
                public_url: Some(url.clone()),
                ssa_ttl_secs: Some(SSA_TTL),
                ca_dir: None,
            },
        )
        .unwrap();
        let now = super::flow::harness::now();
        for (org_id, name, profile, software_id, roles) in [
            (
                UK_ORG,
                "Acme Payments Ltd",
                Profile::Uk,
                UK_SOFTWARE,
                vec!["AISP", "PISP"],
            ),
            (
                BR_ORG,
                "Banco Exemplo S.A.",
                Profile::Brazil,
                BR_SOFTWARE,
                vec!["DADOS", "PAGTO"],
            ),
        ] {
            directory
                .add_organisation(
                    NewOrganisation {
                        org_id: Some(org_id.into()),
                        org_name: name.into(),
                        country: None,
                        profile,
                    },
                    now,
                )
                .unwrap();
            directory
                .add_software(
                    NewSoftware {
                        org_id: org_id.into(),
                        software_id: Some(software_id.into()),
                        client_name: format!("{name} app"),
                        redirect_uris: vec![format!("https://{software_id}.example/cb")],
                        roles: roles.into_iter().map(String::from).collect(),
                    },
                    now,
                )
                .unwrap();
        }
        let mut test = Self {
            dir,
            directory: Arc::new(directory),
            server: None,
            url,
            port,
        };
        test.serve().await;
        test
    }

    async fn serve(&mut self) {
        let listen = format!("127.0.0.1:{}", self.port).parse().unwrap();
        self.server = Some(server::start(self.directory.clone(), listen).await.unwrap());
    }

    /// Stops the server, forgets the opened directory, reopens the data directory and serves it again.
    pub async fn restart(&mut self) {
        self.server.take().unwrap().shutdown().await;
        self.directory = Arc::new(Directory::open(&self.data(), &DirectoryOptions::default()).unwrap());
        self.serve().await;
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("directory")
    }

    pub fn ca(&self) -> PathBuf {
        self.data().join("pki").join("ca.pem")
    }

    pub fn software_file(&self, software_id: &str, name: &str) -> PathBuf {
        self.data().join("software").join(software_id).join(name)
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().unwrap().addr
    }

    /// A GET without a client certificate.
    pub async fn get(&self, path: &str) -> Response<Bytes> {
        let tls = support::client_tls_files(&self.ca(), None);
        support::send(self.addr(), tls, Version::Http2, support::get(path)).await
    }

    /// POST /software/{software_id}/ssa presenting `identity` (certificate, key) if any.
    pub async fn post_ssa(&self, software_id: &str, identity: Option<(&Path, &Path)>) -> Response<Bytes> {
        let tls = support::client_tls_files(&self.ca(), identity);
        let request = Request::post(format!("https://localhost/software/{software_id}/ssa"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        support::send(self.addr(), tls, Version::Http1, request).await
    }

    /// POST /software/{software_id}/ssa with that software's own transport certificate.
    pub async fn ssa_as(&self, software_id: &str) -> Response<Bytes> {
        let cert = self.software_file(software_id, "transport.pem");
        let key = self.software_file(software_id, "transport.key");
        self.post_ssa(software_id, Some((&cert, &key))).await
    }
}
