//! Every file the config names is mounted from a ConfigMap, a Secret or a
//! volume an init container fills, under the key the path names.

use super::*;

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
    let (_, pod, container) = op_container(&all);
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
}
