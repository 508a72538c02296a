//! The deployment files (`deploy/kubernetes/`, `Dockerfile`) against the
//! config the binary reads: they cannot run here, so this test parses them
//! and checks that ports, probes, paths, environment names and timings agree
//! with `fiducia::config` and the admin routes (`src/admin/mod.rs`). Each
//! failure names the file and the field.

mod manifests;

use super::support::*;
use fiducia::server;
use manifests::*;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::Path;

const DEPLOYMENT: &str = "deployment.yaml";

/// The Deployment, its pod spec and its `fiducia` container.
fn op_container(all: &std::collections::BTreeMap<String, Manifest>) -> (&Manifest, &Value, &Value) {
    let deployment = find(all, "Deployment", "fiducia");
    assert_eq!(deployment.file, DEPLOYMENT);
    let pod = deployment.at("spec.template.spec");
    let container = seq_at(pod, "containers", DEPLOYMENT)
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some("fiducia"))
        .unwrap_or_else(|| panic!("{DEPLOYMENT}: no container named fiducia"));
    (deployment, pod, container)
}

/// The production config: the ConfigMap's file with the Deployment's env.
fn production_config(all: &std::collections::BTreeMap<String, Manifest>) -> fiducia::config::Config {
    let (deployment, _, container) = op_container(all);
    load(&config_text(all), environment(all, deployment, container))
}

/// The containerPort named `name` (and its protocol).
fn container_port(container: &Value, name: &str) -> (u64, String) {
    let port = seq_at(container, "ports", DEPLOYMENT)
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("{DEPLOYMENT}: no containerPort named {name}"));
    let protocol = port.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
    (u64_at(port, "containerPort", DEPLOYMENT), protocol.to_string())
}

/// A probe's or Service's port: a number, or the name of a containerPort.
fn resolve_port(container: &Value, port: &Value) -> u64 {
    match port.as_u64() {
        Some(n) => n,
        None => container_port(container, port.as_str().expect("port is a number or a name")).0,
    }
}

#[test]
fn kustomization_lists_every_manifest_and_each_is_one_named_resource() {
    let all = all();
    let kustomization = all
        .get("kustomization.yaml")
        .expect("deploy/kubernetes/kustomization.yaml");
    let listed: BTreeSet<&str> = seq_at(&kustomization.doc, "resources", "kustomization.yaml")
        .iter()
        .map(|r| r.as_str().expect("kustomization.yaml: resources are file names"))
        .collect();
    let files: BTreeSet<&str> = all
        .keys()
        .map(String::as_str)
        .filter(|f| *f != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, files,
        "kustomization.yaml: `resources` must list every manifest file and no other"
    );
    for manifest in all.values().filter(|m| m.file != "kustomization.yaml") {
        assert!(!manifest.name().is_empty(), "{}: metadata.name", manifest.file);
        let api = str_at(&manifest.doc, "apiVersion", &manifest.file);
        let expected = match manifest.kind() {
            "Deployment" => "apps/v1",
            "PodDisruptionBudget" => "policy/v1",
            "HorizontalPodAutoscaler" => "autoscaling/v2",
            "Service" | "ConfigMap" | "Secret" => "v1",
            other => panic!("{}: unexpected kind {other}", manifest.file),
        };
        assert_eq!(
            api,
            expected,
            "{}: apiVersion of a {}",
            manifest.file,
            manifest.kind()
        );
        // Namespace-agnostic: `kubectl apply -k . -n <ns>` picks it.
        assert!(
            manifest
                .doc
                .get("metadata")
                .and_then(|m| m.get("namespace"))
                .is_none(),
            "{}: metadata.namespace",
            manifest.file
        );
    }
}

#[test]
fn the_configmap_is_a_production_config_the_loader_accepts() {
    let all = all();
    let config = production_config(&all);
    let table = as_toml(&config);
    let file = "configmap.yaml: fiducia.toml";
    // RFC 8414 §2: the issuer is an https URL with a host; a real one.
    let issuer: hyper::Uri = config
        .server
        .issuer
        .parse()
        .unwrap_or_else(|e| panic!("{file}: server.issuer: {e}"));
    assert_eq!(issuer.scheme_str(), Some("https"), "{file}: server.issuer");
    assert!(
        !matches!(issuer.host(), Some("localhost" | "127.0.0.1") | None),
        "{file}: server.issuer is a development host"
    );
    assert!(
        !config.server.sandbox_callback,
        "{file}: server.sandbox_callback is development only"
    );
    assert!(
        !config.tls.dev_generate,
        "{file}: tls.dev_generate is development only"
    );
    assert!(
        config.login.seed_users.is_empty(),
        "{file}: login.seed_users in production"
    );
    assert!(
        config.clients.is_empty(),
        "{file}: static sandbox clients in production"
    );
    assert_eq!(
        config.signing.backend,
        fiducia::config::SigningBackend::Pkcs11,
        "{file}: signing.backend"
    );
    assert!(
        config.signing.pin.expose().is_empty(),
        "{file}: the PIN comes from pin_file, not the file"
    );
    assert!(
        !config.admin.listen.ip().is_loopback(),
        "{file}: admin.listen must be reachable by the kubelet's probes"
    );
    assert!(
        !config.server.listen.ip().is_loopback(),
        "{file}: server.listen must be reachable from the Service"
    );
    // Many replicas share one store: the PostgreSQL backend, its URL from
    // the Secret through FIDUCIA_STORE__POSTGRES_URL (never in the file).
    assert_eq!(
        toml_at(&table, "store.backend").and_then(toml::Value::as_str),
        Some("postgres"),
        "{file}: store.backend"
    );
    assert!(
        !config_text(&all).contains("postgres_url ="),
        "{file}: postgres_url is a secret"
    );
    assert!(
        toml_at(&table, "store.postgres_url")
            .and_then(toml::Value::as_str)
            .is_some_and(|u| !u.is_empty()),
        "{file}: store.postgres_url is not set by the Deployment's environment"
    );
    assert_eq!(
        toml_at(&table, "store.postgres_sslmode").and_then(toml::Value::as_str),
        Some("verify-full"),
        "{file}: store.postgres_sslmode"
    );
}

/// README "Configuration": `FIDUCIA_<SECTION>__<FIELD>` overrides a field;
/// its value is read as TOML when it parses as TOML, else as a string.
fn expected_override(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[test]
fn every_fiducia_variable_is_a_config_override_that_takes_effect() {
    let all = all();
    let (deployment, _, container) = op_container(&all);
    let env = environment(&all, deployment, container);
    let text = config_text(&all);
    let fiducia_vars: Vec<&(String, String)> =
        env.iter().filter(|(n, _)| n.starts_with("FIDUCIA_")).collect();
    assert!(
        !fiducia_vars.is_empty(),
        "{DEPLOYMENT}: the PostgreSQL URL comes through the environment"
    );
    for (name, raw) in fiducia_vars {
        let path = name
            .strip_prefix("FIDUCIA_")
            .filter(|rest| rest.contains("__"))
            .unwrap_or_else(|| panic!("{DEPLOYMENT}: env {name} is not FIDUCIA_<SECTION>__<FIELD>"))
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        // Unknown fields are refused by the loader (deny_unknown_fields).
        let config = fiducia::config::load_from_str(&text, vec![(name.clone(), raw.clone())])
            .unwrap_or_else(|e| panic!("{DEPLOYMENT}: env {name} is refused: {e}"));
        let table = as_toml(&config);
        let got = toml_at(&table, &path)
            .unwrap_or_else(|| panic!("{DEPLOYMENT}: env {name} sets nothing at {path}"));
        // A Secret field serialises redacted (config::Secret).
        let redacted = toml::Value::String("<redacted>".into());
        assert!(
            *got == expected_override(raw) || *got == redacted,
            "{DEPLOYMENT}: env {name}: {path} is {got}, not {raw}"
        );
    }
}

#[test]
fn probes_are_the_admin_listeners_routes_on_its_port() {
    let all = all();
    let config = production_config(&all);
    let (_, _, container) = op_container(&all);
    let admin_port = u64::from(config.admin.listen.port());
    for (probe, path) in [
        ("startupProbe", "/readyz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
    ] {
        let get = at(container, &format!("{probe}.httpGet"), DEPLOYMENT);
        assert_eq!(
            str_at(get, "path", DEPLOYMENT),
            path,
            "{DEPLOYMENT}: {probe}.httpGet.path"
        );
        assert_eq!(
            resolve_port(container, at(get, "port", DEPLOYMENT)),
            admin_port,
            "{DEPLOYMENT}: {probe} port is not [admin] listen's"
        );
        let scheme = get.get("scheme").and_then(Value::as_str).unwrap_or("HTTP");
        assert_eq!(
            scheme, "HTTP",
            "{DEPLOYMENT}: {probe}: the admin listener is plain HTTP"
        );
    }
}

/// The probe paths against a real OP's admin listener: ready when started,
/// not ready while draining (so the readiness probe takes the pod out of the
/// Services), yet alive (so the liveness probe does not restart a pod that
/// is finishing its requests).
#[tokio::test]
async fn the_probe_paths_answer_as_kubernetes_expects_on_a_real_op() {
    let all = all();
    let (_, _, container) = op_container(&all);
    let path = |probe: &str| str_at(container, &format!("{probe}.httpGet.path"), DEPLOYMENT).to_string();
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let (status, body) = admin_get(handle.admin_addr, &path(probe)).await;
        assert_eq!(status, 200, "{probe} {} on a started OP: {body}", path(probe));
    }
    handle.begin_shutdown();
    let (status, _) = admin_get(handle.admin_addr, &path("readinessProbe")).await;
    assert_eq!(status, 503, "readinessProbe must fail while draining");
    let (status, _) = admin_get(handle.admin_addr, &path("livenessProbe")).await;
    assert_eq!(status, 200, "livenessProbe must pass while draining");
    handle.shutdown().await;
}

#[test]
fn service_and_container_ports_are_the_listeners() {
    let all = all();
    let config = production_config(&all);
    let (_, _, container) = op_container(&all);
    let main = u64::from(config.server.listen.port());
    let mtls = u64::from(
        config
            .server
            .mtls_listen
            .expect("configmap.yaml: server.mtls_listen")
            .port(),
    );
    let admin = u64::from(config.admin.listen.port());
    assert_eq!(
        container_port(container, "https"),
        (main, "TCP".into()),
        "{DEPLOYMENT}: https is [server] listen"
    );
    assert!(config.server.http3, "configmap.yaml: server.http3");
    assert_eq!(
        container_port(container, "https-h3"),
        (main, "UDP".into()),
        "{DEPLOYMENT}: HTTP/3 is UDP on [server] listen's port"
    );
    assert_eq!(
        container_port(container, "mtls"),
        (mtls, "TCP".into()),
        "{DEPLOYMENT}: mtls is [server] mtls_listen"
    );
    assert_eq!(
        container_port(container, "admin"),
        (admin, "TCP".into()),
        "{DEPLOYMENT}: admin is [admin] listen"
    );

    let labels = find(&all, "Deployment", "fiducia").at("spec.template.metadata.labels");
    let targets = |name: &str| -> (String, BTreeSet<(u64, String)>) {
        let service = find(&all, "Service", name);
        for (key, value) in service
            .at("spec.selector")
            .as_mapping()
            .expect("selector is a map")
        {
            assert_eq!(
                labels.get(key),
                Some(value),
                "{}: spec.selector must select the OP's pods",
                service.file
            );
        }
        let kind = service
            .doc
            .get("spec")
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP");
        let ports = seq_at(&service.doc, "spec.ports", &service.file)
            .iter()
            .map(|p| {
                let protocol = p
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    .to_string();
                let target = resolve_port(container, at(p, "targetPort", &service.file));
                (target, protocol)
            })
            .collect();
        (kind.to_string(), ports)
    };
    let (public_type, public) = targets("fiducia");
    assert_eq!(public_type, "LoadBalancer", "service.yaml: spec.type");
    let expected: BTreeSet<(u64, String)> =
        [(main, "TCP".into()), (main, "UDP".into()), (mtls, "TCP".into())].into();
    assert_eq!(
        public, expected,
        "service.yaml: the public ports are the main listener (TCP and UDP) and the mTLS alias, never admin"
    );
    let (admin_type, admin_ports) = targets("fiducia-admin");
    assert_eq!(
        admin_type, "ClusterIP",
        "service-admin.yaml: the admin listener stays inside the cluster"
    );
    assert_eq!(
        admin_ports,
        [(admin, "TCP".to_string())].into(),
        "service-admin.yaml: ports"
    );
}

/// The volume mounted at the longest mount path that holds `file`, with
/// the file's name relative to it.
fn mount_of<'a>(container: &'a Value, file: &Path) -> (&'a str, String) {
    seq_at(container, "volumeMounts", DEPLOYMENT)
        .iter()
        .filter_map(|m| {
            let mount = Path::new(str_at(m, "mountPath", DEPLOYMENT));
            let rest = file.strip_prefix(mount).ok()?;
            Some((
                mount.as_os_str().len(),
                str_at(m, "name", DEPLOYMENT),
                rest.to_string_lossy().into_owned(),
            ))
        })
        .max_by_key(|(len, _, _)| *len)
        .map(|(_, name, rest)| (name, rest))
        .unwrap_or_else(|| panic!("{DEPLOYMENT}: no volumeMount holds {}", file.display()))
}

/// Whether the volume `volume` provides `key`: a ConfigMap or Secret with
/// that key, or an emptyDir an init container fills (checked by name).
fn assert_volume_provides(
    all: &std::collections::BTreeMap<String, Manifest>,
    pod: &Value,
    volume: &str,
    key: &str,
    field: &str,
) {
    let spec = seq_at(pod, "volumes", DEPLOYMENT)
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(volume))
        .unwrap_or_else(|| panic!("{DEPLOYMENT}: volume {volume} (for {field}) is not declared"));
    let source = if let Some(name) = spec
        .get("configMap")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
    {
        find(all, "ConfigMap", name)
    } else if let Some(name) = spec
        .get("secret")
        .and_then(|c| c.get("secretName"))
        .and_then(Value::as_str)
    {
        find(all, "Secret", name)
    } else {
        assert!(
            spec.get("emptyDir").is_some(),
            "{DEPLOYMENT}: volume {volume}: configMap, secret or emptyDir"
        );
        let init = pod
            .get("initContainers")
            .and_then(Value::as_sequence)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let filled = init.iter().any(|c| {
            let mounts = c
                .get("volumeMounts")
                .and_then(Value::as_sequence)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let command =
                serde_yaml_ng::to_string(c.get("command").unwrap_or(&Value::Null)).unwrap_or_default();
            mounts
                .iter()
                .any(|m| m.get("name").and_then(Value::as_str) == Some(volume))
                && command.contains(key)
        });
        assert!(
            filled,
            "{DEPLOYMENT}: {field}: no init container writes {key} into the emptyDir {volume}"
        );
        return;
    };
    assert!(
        has_key(source, key),
        "{}: {field} needs the key {key}",
        source.file
    );
}

#[test]
fn every_file_the_config_names_is_mounted_from_where_it_lives() {
    let all = all();
    let config = production_config(&all);
    let table = as_toml(&config);
    let (deployment, pod, container) = op_container(&all);
    let args: Vec<&str> = seq_at(container, "args", DEPLOYMENT)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let config_file = args
        .windows(2)
        .find(|w| w[0] == "--config")
        .map(|w| w[1])
        .unwrap_or_else(|| panic!("{DEPLOYMENT}: args name no --config file"));
    assert_eq!(args.first(), Some(&"serve"), "{DEPLOYMENT}: args");
    let mut files = vec![("--config".to_string(), config_file.into())];
    files.push(("tls.cert".into(), config.tls.cert.clone()));
    files.push(("tls.key".into(), config.tls.key.clone()));
    for (i, ca) in config.tls.client_ca.iter().enumerate() {
        files.push((format!("tls.client_ca[{i}]"), ca.clone()));
    }
    let signing = &config.signing;
    files.push((
        "signing.pkcs11_module".into(),
        signing
            .pkcs11_module
            .clone()
            .expect("configmap.yaml: signing.pkcs11_module"),
    ));
    files.push((
        "signing.pin_file".into(),
        signing
            .pin_file
            .clone()
            .expect("configmap.yaml: signing.pin_file"),
    ));
    if let Some(conf) = &signing.softhsm_conf {
        files.push(("signing.softhsm_conf".into(), conf.clone()));
    }
    if let Some(ca) = toml_at(&table, "store.postgres_ca_file").and_then(toml::Value::as_str) {
        files.push(("store.postgres_ca_file".into(), ca.into()));
    }
    for (field, file) in &files {
        assert!(
            file.is_absolute(),
            "configmap.yaml: {field} = {} must be absolute in a container",
            file.display()
        );
        let (volume, key) = mount_of(container, file);
        assert_volume_provides(&all, pod, volume, &key, field);
    }
    // SoftHSM's token directory (named in its own config) is a volume too,
    // writable: SoftHSM takes locks in it.
    if let Some(conf) = &signing.softhsm_conf {
        let (volume, key) = mount_of(container, conf);
        let source = seq_at(pod, "volumes", DEPLOYMENT)
            .iter()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(volume))
            .and_then(|v| v.get("configMap"))
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{DEPLOYMENT}: softhsm_conf comes from a ConfigMap"));
        let text = data_text(find(&all, "ConfigMap", source), &key);
        let tokendir = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("directories.tokendir"))
            .and_then(|l| l.trim().strip_prefix('='))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{source}: softhsm2.conf names no directories.tokendir"));
        let mount = seq_at(container, "volumeMounts", DEPLOYMENT)
            .iter()
            .find(|m| m.get("mountPath").and_then(Value::as_str) == Some(tokendir))
            .unwrap_or_else(|| panic!("{DEPLOYMENT}: the SoftHSM token directory {tokendir} is not mounted"));
        assert_ne!(
            mount.get("readOnly").and_then(Value::as_bool),
            Some(true),
            "{DEPLOYMENT}: {tokendir} must be writable"
        );
    }
    let _ = deployment;
}

#[test]
fn termination_grace_outlasts_the_prestop_delay_and_the_drain() {
    let all = all();
    let config = production_config(&all);
    let (_, pod, container) = op_container(&all);
    let grace_secs = u64_at(pod, "terminationGracePeriodSeconds", DEPLOYMENT);
    let command: Vec<&str> = seq_at(container, "lifecycle.preStop.exec.command", DEPLOYMENT)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let sleep_secs: u64 = match command.as_slice() {
        [sleep, secs] if sleep.ends_with("/sleep") => secs
            .parse()
            .unwrap_or_else(|_| panic!("{DEPLOYMENT}: preStop sleep {secs}")),
        other => panic!("{DEPLOYMENT}: preStop is not a sleep: {other:?}"),
    };
    // The readiness probe must notice before SIGTERM stops the listeners.
    let readiness = at(container, "readinessProbe", DEPLOYMENT);
    let notice_secs =
        u64_at(readiness, "periodSeconds", DEPLOYMENT) * u64_at(readiness, "failureThreshold", DEPLOYMENT);
    assert!(
        sleep_secs > notice_secs,
        "{DEPLOYMENT}: preStop sleep {sleep_secs}s is shorter than the readiness probe's reaction {notice_secs}s"
    );
    let needed_ms = sleep_secs * 1000 + config.server.shutdown_grace_ms;
    assert!(
        grace_secs * 1000 > needed_ms,
        "{DEPLOYMENT}: terminationGracePeriodSeconds {grace_secs}s must exceed preStop {sleep_secs}s + server.shutdown_grace_ms {} ms",
        config.server.shutdown_grace_ms
    );
}

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

#[test]
fn disruption_scaling_placement_and_hardening() {
    let all = all();
    let (deployment, pod, container) = op_container(&all);
    let labels = deployment.at("spec.template.metadata.labels");
    let replicas = u64_at(&deployment.doc, "spec.replicas", DEPLOYMENT);
    assert!(replicas >= 3, "{DEPLOYMENT}: spec.replicas");
    assert_eq!(
        deployment
            .at("spec.strategy.rollingUpdate.maxUnavailable")
            .as_u64(),
        Some(0),
        "{DEPLOYMENT}: rolling updates keep every replica serving"
    );

    let pdb = find(&all, "PodDisruptionBudget", "fiducia");
    assert_eq!(
        pdb.at("spec.selector.matchLabels")
            .as_mapping()
            .map(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v))),
        Some(true),
        "{}: selector",
        pdb.file
    );
    let max_unavailable = pdb
        .doc
        .get("spec")
        .and_then(|s| s.get("maxUnavailable"))
        .and_then(Value::as_u64);
    let min_available = pdb
        .doc
        .get("spec")
        .and_then(|s| s.get("minAvailable"))
        .and_then(Value::as_u64);
    assert!(
        max_unavailable == Some(1) || min_available.is_some_and(|m| m >= 2 && m < replicas),
        "{}: one replica down at a time",
        pdb.file
    );

    let hpa = find(&all, "HorizontalPodAutoscaler", "fiducia");
    assert_eq!(
        hpa.at("spec.scaleTargetRef.kind").as_str(),
        Some("Deployment"),
        "{}",
        hpa.file
    );
    assert_eq!(
        hpa.at("spec.scaleTargetRef.name").as_str(),
        Some(deployment.name()),
        "{}",
        hpa.file
    );
    assert!(
        u64_at(&hpa.doc, "spec.minReplicas", &hpa.file) >= replicas,
        "{}: minReplicas below the Deployment's",
        hpa.file
    );
    let metric = &seq_at(&hpa.doc, "spec.metrics", &hpa.file)[0];
    assert_eq!(str_at(metric, "resource.name", &hpa.file), "cpu", "{}", hpa.file);
    // Utilization is a share of the request: the container must make one.
    assert!(
        container
            .get("resources")
            .and_then(|r| r.get("requests"))
            .and_then(|r| r.get("cpu"))
            .is_some(),
        "{DEPLOYMENT}: resources.requests.cpu"
    );
    assert!(
        at(container, "resources.limits", DEPLOYMENT)
            .get("memory")
            .is_some(),
        "{DEPLOYMENT}: resources.limits.memory"
    );

    let anti = &seq_at(
        pod,
        "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution",
        DEPLOYMENT,
    )[0];
    assert_eq!(
        str_at(anti, "topologyKey", DEPLOYMENT),
        "kubernetes.io/hostname",
        "{DEPLOYMENT}: replicas on distinct nodes"
    );
    assert_eq!(
        at(anti, "labelSelector.matchLabels", DEPLOYMENT),
        labels,
        "{DEPLOYMENT}: anti-affinity selects the OP's pods"
    );

    assert_eq!(
        at(pod, "securityContext.runAsNonRoot", DEPLOYMENT).as_bool(),
        Some(true),
        "{DEPLOYMENT}: runAsNonRoot"
    );
    let init = pod
        .get("initContainers")
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for c in std::iter::once(container).chain(init) {
        let name = str_at(c, "name", DEPLOYMENT);
        let sc = at(c, "securityContext", DEPLOYMENT);
        assert_eq!(
            sc.get("readOnlyRootFilesystem").and_then(Value::as_bool),
            Some(true),
            "{DEPLOYMENT}: {name}: readOnlyRootFilesystem"
        );
        assert_eq!(
            sc.get("allowPrivilegeEscalation").and_then(Value::as_bool),
            Some(false),
            "{DEPLOYMENT}: {name}: allowPrivilegeEscalation"
        );
        let drop: Vec<&str> = seq_at(sc, "capabilities.drop", DEPLOYMENT)
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(drop, ["ALL"], "{DEPLOYMENT}: {name}: capabilities.drop");
    }
}

#[test]
fn secret_templates_are_placeholders() {
    let all = all();
    for secret in all.values().filter(|m| m.kind() == "Secret") {
        let text = std::fs::read_to_string(kubernetes_dir().join(&secret.file)).expect("readable");
        assert!(text.contains("TEMPLATE"), "{}: say it is a template", secret.file);
        let values: Vec<String> = ["stringData", "data"]
            .iter()
            .filter_map(|f| secret.doc.get(f).and_then(Value::as_mapping))
            .flat_map(|m| m.values().filter_map(Value::as_str).map(str::to_string))
            .collect();
        assert!(!values.is_empty(), "{}: no keys", secret.file);
        for value in values {
            assert!(
                value.is_empty() || value.contains("CHANGE-ME"),
                "{}: a value that is not a marked placeholder",
                secret.file
            );
        }
    }
}
