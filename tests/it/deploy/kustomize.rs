//! The kustomization and the Secret templates: every manifest listed, one
//! named resource per file, no real secret committed.

use super::*;

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
            "NetworkPolicy" => "networking.k8s.io/v1",
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
