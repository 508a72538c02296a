//! The pod's lifecycle and placement: termination grace against the drain,
//! disruption budget, autoscaler, anti-affinity and hardening.

use super::*;

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
    // Kubernetes "Pod Lifecycle", termination of Pods: a terminating pod
    // leaves the Services' EndpointSlices while its preStop hook runs, and
    // kube-proxy and external balancers follow a few seconds later; SIGTERM
    // (and with it the end of accepting) comes only after the hook. The
    // grace period is counted from the hook's start, so it covers both.
    assert!(
        sleep_secs >= 5,
        "{DEPLOYMENT}: preStop sleep {sleep_secs}s leaves the balancers no time to follow"
    );
    let needed_ms = sleep_secs * 1000 + config.server.shutdown_grace_ms;
    assert!(
        grace_secs * 1000 > needed_ms,
        "{DEPLOYMENT}: terminationGracePeriodSeconds {grace_secs}s must exceed preStop {sleep_secs}s + server.shutdown_grace_ms {} ms",
        config.server.shutdown_grace_ms
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
