//! The Dockerfile against the Deployment and the config: exposed ports,
//! user, command.

use super::*;

#[test]
fn the_dockerfile_exposes_the_listeners_and_runs_as_the_pods_user() {
    let all = all();
    let config = production_config(&all);
    let (_, pod, container) = op_container(&all);
    let instructions = dockerfile();
    let all_of = |word: &str| -> Vec<&str> {
        instructions
            .iter()
            .filter(|(w, _)| w == word)
            .map(|(_, r)| r.as_str())
            .collect()
    };
    let exposed: BTreeSet<String> = all_of("EXPOSE")
        .iter()
        .flat_map(|r| r.split_whitespace())
        .map(str::to_string)
        .collect();
    let main = config.server.listen.port();
    let mtls = config.server.mtls_listen.expect("server.mtls_listen").port();
    let admin = config.admin.listen.port();
    let expected: BTreeSet<String> = [
        format!("{main}/tcp"),
        format!("{main}/udp"),
        format!("{mtls}/tcp"),
        format!("{admin}/tcp"),
    ]
    .into();
    assert_eq!(exposed, expected, "Dockerfile: EXPOSE");
    assert!(
        all_of("HEALTHCHECK").is_empty(),
        "Dockerfile: Kubernetes probes, no HEALTHCHECK"
    );
    assert!(
        all_of("RUN")
            .iter()
            .any(|r| r.contains("cargo build") && r.contains("--locked")),
        "Dockerfile: cargo build --locked"
    );
    assert!(all_of("FROM").len() >= 2, "Dockerfile: multi-stage");
    let users = all_of("USER");
    let user = users.last().unwrap_or_else(|| panic!("Dockerfile: no USER"));
    let (uid, gid) = user.split_once(':').unwrap_or((user, user));
    let uid: u64 = uid
        .parse()
        .unwrap_or_else(|_| panic!("Dockerfile: USER {user} must be numeric for runAsNonRoot"));
    assert_ne!(uid, 0, "Dockerfile: USER root");
    assert_eq!(
        u64_at(pod, "securityContext.runAsUser", DEPLOYMENT),
        uid,
        "{DEPLOYMENT}: runAsUser is not the Dockerfile's USER"
    );
    assert_eq!(
        gid.parse().ok(),
        Some(u64_at(pod, "securityContext.runAsGroup", DEPLOYMENT)),
        "{DEPLOYMENT}: runAsGroup"
    );
    let cmd = all_of("CMD");
    let cmd: Vec<String> =
        serde_json::from_str(cmd.last().expect("Dockerfile: CMD")).expect("Dockerfile: CMD in exec form");
    let args: Vec<String> = seq_at(container, "args", DEPLOYMENT)
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    assert_eq!(cmd, args, "Dockerfile CMD and {DEPLOYMENT} args: one config path");
    // The PKCS#11 module is mounted, not in the image: only the dev build arg installs SoftHSM.
    assert!(
        all_of("RUN")
            .iter()
            .all(|r| !r.contains("softhsm2") || r.contains("SOFTHSM")),
        "Dockerfile: SoftHSM only behind the SOFTHSM build arg"
    );
}
