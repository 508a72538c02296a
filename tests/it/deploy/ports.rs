//! Probes and ports: the probes on the admin listener's routes (also asked
//! of a real OP), containerPorts and Services on the listeners' ports.

use super::*;

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

/// `networkpolicy.yaml`: it selects the OP's pods; the TLS listeners'
/// ports are open to anyone (the OP authenticates every caller), the admin
/// listener's port only to pods with a label, never to an empty `from`
/// (which would mean every source).
#[test]
fn the_network_policy_keeps_the_admin_port_to_labelled_pods() {
    let all = all();
    let config = production_config(&all);
    let policy = find(&all, "NetworkPolicy", "fiducia");
    let file = &policy.file;
    let labels = find(&all, "Deployment", "fiducia").at("spec.template.metadata.labels");
    for (key, value) in policy
        .at("spec.podSelector.matchLabels")
        .as_mapping()
        .expect("matchLabels is a map")
    {
        assert_eq!(
            labels.get(key),
            Some(value),
            "{file}: spec.podSelector must select the OP's pods"
        );
    }
    let ports_of = |rule: &Value| -> BTreeSet<(u64, String)> {
        seq_at(rule, "ports", file)
            .iter()
            .map(|p| {
                let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                (u64_at(p, "port", file), protocol.to_string())
            })
            .collect()
    };
    let main = u64::from(config.server.listen.port());
    let mtls = u64::from(config.server.mtls_listen.expect("server.mtls_listen").port());
    let admin = u64::from(config.admin.listen.port());
    let rules = seq_at(&policy.doc, "spec.ingress", file);
    let open: Vec<&Value> = rules.iter().filter(|r| r.get("from").is_none()).collect();
    assert_eq!(open.len(), 1, "{file}: one rule open to every source");
    let expected: BTreeSet<(u64, String)> =
        [(main, "TCP".into()), (main, "UDP".into()), (mtls, "TCP".into())].into();
    assert_eq!(
        ports_of(open[0]),
        expected,
        "{file}: the open rule is the TLS listeners only"
    );
    let admin_rules: Vec<&Value> = rules
        .iter()
        .filter(|r| ports_of(r).contains(&(admin, "TCP".to_string())))
        .collect();
    assert_eq!(admin_rules.len(), 1, "{file}: one rule for the admin port");
    let sources = seq_at(admin_rules[0], "from", file);
    assert!(!sources.is_empty(), "{file}: the admin rule needs sources");
    for source in sources {
        let selected = source
            .get("podSelector")
            .and_then(|s| s.get("matchLabels"))
            .and_then(Value::as_mapping)
            .is_some_and(|m| !m.is_empty());
        assert!(selected, "{file}: every admin source names pods by label");
    }
}
