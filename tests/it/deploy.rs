//! The deployment files (`deploy/kubernetes/`, `Dockerfile`) against the
//! config the binary reads: they cannot run here, so this test parses them
//! and checks that ports, probes, paths, environment names and timings agree
//! with `fiducia::config` and the admin routes (`src/admin/mod.rs`). Each
//! failure names the file and the field.

mod config;
mod dockerfile;
mod kustomize;
mod manifests;
mod mounts;
mod pod;
mod ports;

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
