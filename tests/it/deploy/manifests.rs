//! Reading `deploy/kubernetes/*.yaml` and the `Dockerfile` for the deploy
//! tests: every lookup that fails names the file and the field.

use fiducia::config::{self, Config};
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `deploy/kubernetes` in the source tree.
pub fn kubernetes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes")
}

/// One parsed manifest file.
pub struct Manifest {
    pub file: String,
    pub doc: Value,
}

impl Manifest {
    /// The value at a dotted path (`spec.template.spec`); a number picks
    /// a sequence item. Fails naming the file and the path.
    pub fn at(&self, path: &str) -> &Value {
        at(&self.doc, path, &self.file)
    }

    pub fn kind(&self) -> &str {
        str_at(&self.doc, "kind", &self.file)
    }

    pub fn name(&self) -> &str {
        str_at(&self.doc, "metadata.name", &self.file)
    }
}

/// Every `*.yaml` file of `deploy/kubernetes` (the kustomization too), by
/// file name; each must be exactly one YAML document.
pub fn all() -> BTreeMap<String, Manifest> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(kubernetes_dir()).expect("deploy/kubernetes is readable");
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name")
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{file}: not YAML: {e}")))
            .collect();
        assert_eq!(docs.len(), 1, "{file}: one manifest per file");
        let doc = docs.into_iter().next().expect("one document");
        out.insert(file.clone(), Manifest { file, doc });
    }
    out
}

/// The one manifest of `kind` named `name`.
pub fn find<'a>(all: &'a BTreeMap<String, Manifest>, kind: &str, name: &str) -> &'a Manifest {
    let found: Vec<&Manifest> = all
        .values()
        .filter(|m| m.doc.get("kind").and_then(Value::as_str) == Some(kind))
        .filter(|m| {
            m.doc
                .get("metadata")
                .and_then(|md| md.get("name"))
                .and_then(Value::as_str)
                == Some(name)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one {kind} named {name} in deploy/kubernetes"
    );
    found[0]
}

pub fn at<'a>(value: &'a Value, path: &str, file: &str) -> &'a Value {
    let mut node = value;
    for part in path.split('.') {
        let next = match part.parse::<usize>() {
            Ok(i) => node.get(i),
            Err(_) => node.get(part),
        };
        node = next.unwrap_or_else(|| panic!("{file}: `{path}` is missing (at `{part}`)"));
    }
    node
}

pub fn str_at<'a>(value: &'a Value, path: &str, file: &str) -> &'a str {
    at(value, path, file)
        .as_str()
        .unwrap_or_else(|| panic!("{file}: `{path}` is not a string"))
}

pub fn u64_at(value: &Value, path: &str, file: &str) -> u64 {
    at(value, path, file)
        .as_u64()
        .unwrap_or_else(|| panic!("{file}: `{path}` is not a non-negative integer"))
}

pub fn seq_at<'a>(value: &'a Value, path: &str, file: &str) -> &'a [Value] {
    at(value, path, file)
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("{file}: `{path}` is not a list"))
}

/// The text of `key` in a ConfigMap's `data` or a Secret's `stringData`.
pub fn data_text<'a>(manifest: &'a Manifest, key: &str) -> &'a str {
    let field = if manifest.kind() == "Secret" {
        "stringData"
    } else {
        "data"
    };
    let data = manifest.at(field);
    data.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{}: `{field}.{key}` is missing", manifest.file))
}

/// Whether a ConfigMap or Secret carries `key` (in `data` or `stringData`).
pub fn has_key(manifest: &Manifest, key: &str) -> bool {
    ["data", "stringData"]
        .iter()
        .any(|field| manifest.doc.get(field).and_then(|d| d.get(key)).is_some())
}

/// The container's environment as (name, value) pairs, each `secretKeyRef`
/// resolved to the value in the Secret template it names.
pub fn environment(
    all: &BTreeMap<String, Manifest>,
    deployment: &Manifest,
    container: &Value,
) -> Vec<(String, String)> {
    let file = &deployment.file;
    let Some(env) = container.get("env") else {
        return Vec::new();
    };
    let env = env
        .as_sequence()
        .unwrap_or_else(|| panic!("{file}: `env` is not a list"));
    env.iter()
        .map(|var| {
            let name = str_at(var, "name", file).to_string();
            let value = match var.get("value") {
                Some(v) => v
                    .as_str()
                    .unwrap_or_else(|| {
                        panic!("{file}: env {name}: quote the value, Kubernetes wants a string")
                    })
                    .to_string(),
                None => {
                    let secret = str_at(var, "valueFrom.secretKeyRef.name", file);
                    let key = str_at(var, "valueFrom.secretKeyRef.key", file);
                    data_text(find(all, "Secret", secret), key).to_string()
                }
            };
            (name, value)
        })
        .collect()
}

/// `fiducia.toml` from the `fiducia-config` ConfigMap.
pub fn config_text(all: &BTreeMap<String, Manifest>) -> String {
    data_text(find(all, "ConfigMap", "fiducia-config"), "fiducia.toml").to_string()
}

/// The ConfigMap's `fiducia.toml` through the binary's own loader with `env`
/// applied; a refusal fails naming the field.
pub fn load(text: &str, env: Vec<(String, String)>) -> Config {
    config::load_from_str(text, env)
        .unwrap_or_else(|e| panic!("configmap.yaml: fiducia.toml does not load: {e}"))
}

/// The config as TOML, as `fiducia check-config` would print it: fields of
/// sections this test does not name by type (the store's backend fields) are
/// read from here.
pub fn as_toml(config: &Config) -> toml::Table {
    toml::Table::try_from(config).expect("the config serialises")
}

/// The TOML value at `section.field` of the serialised config.
pub fn toml_at<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut node = table.get(first)?;
    for part in parts {
        node = node.get(part)?;
    }
    Some(node)
}

/// The `Dockerfile`'s instructions, one per logical line (continuations
/// joined), comments dropped.
pub fn dockerfile() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile");
    let text = std::fs::read_to_string(path).expect("Dockerfile is readable");
    let mut joined = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && joined.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                joined.push_str(part);
                joined.push(' ');
            }
            None => {
                joined.push_str(trimmed);
                let (word, rest) = joined.split_once(' ').unwrap_or((joined.as_str(), ""));
                out.push((word.to_ascii_uppercase(), rest.trim().to_string()));
                joined.clear();
            }
        }
    }
    out
}
