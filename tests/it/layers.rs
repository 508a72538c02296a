//! The layer rule of docs/ARCHITECTURE.md ("Layers"): imports only point
//! down. Every module of `src/` sits in one entry of [`LAYERS`]; a file may
//! use (a `crate::`, `super::` or `self::` path in code, not in a comment)
//! only files of its own entry or of an entry below it, and no files form a
//! circle (`a.rs` uses `b.rs`, which uses `a.rs`, also through a `mod.rs`),
//! in `src/` and in the `hsm` and `loadtest` crates. Entries of one tier are
//! ordered too, so that the modules themselves form no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The entries of `src/`, bottom first: a module prefix (`store::repo`
/// before `store`: the longest prefix names a file's entry) and its tier.
const LAYERS: &[(&str, &str)] = &[
    ("clock", "protocol"),
    ("protocol", "protocol"),
    ("config", "foundations"),
    ("telemetry", "foundations"),
    ("pki", "foundations"),
    ("jwks_fetch", "foundations"),
    ("outbound", "foundations"),
    ("child", "foundations"),
    ("store", "foundations"),
    ("model", "foundations"),
    ("store::repo", "foundations"),
    ("signing", "foundations"),
    ("login", "application"),
    ("consent", "application"),
    ("actors", "application"),
    ("oauth", "application"),
    ("http", "http"),
    ("admin", "programs"),
    ("config_api", "programs"),
    ("gateway", "programs"),
    ("admin_cli", "programs"),
    ("directory", "programs"),
    ("server", "programs"),
    ("sandbox", "programs"),
    ("demo", "programs"),
];

/// A module path, e.g. `["oauth", "grants"]` for `src/oauth/grants/mod.rs`.
type ModPath = Vec<String>;

#[test]
fn imports_only_point_down_the_layers() {
    let src = crate_dir().join("src");
    let graph = Graph::of_crate(&src);
    let mut upward = Vec::new();
    for (from, targets) in &graph.edges {
        let Some(from_rank) = rank(from) else {
            continue; // lib.rs and main.rs sit above everything
        };
        for to in targets {
            match rank(to) {
                Some(to_rank) if to_rank > from_rank => upward.push(format!(
                    "{} ({}, {}) uses {} ({}, {})",
                    from.join("::"),
                    LAYERS[from_rank].0,
                    LAYERS[from_rank].1,
                    to.join("::"),
                    LAYERS[to_rank].0,
                    LAYERS[to_rank].1
                )),
                _ => {}
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports pointing up the layers (docs/ARCHITECTURE.md, \"Layers\"):\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn every_module_has_a_layer() {
    let graph = Graph::of_crate(&crate_dir().join("src"));
    let unplaced: Vec<String> = graph
        .modules
        .iter()
        .filter(|m| !m.is_empty() && rank(m).is_none())
        .map(|m| m.join("::"))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules without an entry in LAYERS (tests/it/layers.rs): {unplaced:?}"
    );
}

#[test]
fn no_file_imports_in_a_circle() {
    let root = crate_dir();
    let mut circles = Vec::new();
    for dir in ["src", "hsm/src", "loadtest/src"] {
        for circle in Graph::of_crate(&root.join(dir)).circles() {
            let files: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
            circles.push(format!("{dir}: {}", files.join(", ")));
        }
    }
    assert!(
        circles.is_empty(),
        "files that import each other in a circle:\n  {}",
        circles.join("\n  ")
    );
}

#[test]
fn the_scanner_sees_what_code_uses_and_not_what_comments_say() {
    let code = "//! see [`x`](crate::http::router)\n\
                use crate::{oauth::{op::OpState, caller}, store::kv};\n\
                use super::sibling::Thing;\n\
                let url = \"https://crate::nope\"; // crate::nope\n\
                /* crate::nope */ fn f() { self::child::g(); kid::run(); std::kid::x(); }\n\
                pub use kid::Face;\n\
                mod tests { use super::inner::T; }\n";
    let modules = BTreeSet::from([path("a::b::c"), path("a::b::c::kid")]);
    let found = references(code, &path("a::b::c"), &modules);
    let mut found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    found.sort();
    assert_eq!(
        found,
        [
            "a::b::c::child::g",
            "a::b::c::inner::T",
            "a::b::c::kid::run",
            "a::b::sibling::Thing",
            "oauth::caller",
            "oauth::op::OpState",
            "store::kv",
        ]
    );
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn path(p: &str) -> ModPath {
    p.split("::").map(str::to_string).collect()
}

/// The index of `module`'s entry in [`LAYERS`]: its longest prefix.
fn rank(module: &[String]) -> Option<usize> {
    LAYERS
        .iter()
        .enumerate()
        .filter(|(_, (prefix, _))| {
            let prefix = path(prefix);
            module.len() >= prefix.len() && module[..prefix.len()] == prefix[..]
        })
        .max_by_key(|(_, (prefix, _))| prefix.len())
        .map(|(i, _)| i)
}

/// Which file uses which, by module path.
struct Graph {
    modules: BTreeSet<ModPath>,
    edges: BTreeMap<ModPath, BTreeSet<ModPath>>,
}

impl Graph {
    fn of_crate(src: &Path) -> Self {
        let mut files = Vec::new();
        collect_rs(src, &mut files);
        let sources: Vec<(ModPath, String)> = files
            .iter()
            .map(|file| {
                let relative = file.strip_prefix(src).unwrap();
                let is_mod = matches!(
                    relative.file_name().and_then(|n| n.to_str()),
                    Some("mod.rs" | "lib.rs" | "main.rs")
                );
                let mut module: ModPath = relative
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if is_mod {
                    module.pop();
                }
                (module, std::fs::read_to_string(file).unwrap())
            })
            .collect();
        let modules: BTreeSet<ModPath> = sources.iter().map(|(m, _)| m.clone()).collect();
        let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        for (module, text) in &sources {
            let targets = edges.entry(module.clone()).or_default();
            for reference in references(text, module, &modules) {
                // The longest prefix that is a file of the crate.
                let target = (1..=reference.len())
                    .rev()
                    .map(|n| reference[..n].to_vec())
                    .find(|prefix| modules.contains(prefix));
                if let Some(target) = target
                    && &target != module
                {
                    targets.insert(target);
                }
            }
        }
        Self { modules, edges }
    }

    /// Strongly connected sets of more than one file (Tarjan).
    fn circles(&self) -> Vec<Vec<ModPath>> {
        struct Walk<'g> {
            graph: &'g Graph,
            index: BTreeMap<&'g ModPath, usize>,
            low: BTreeMap<&'g ModPath, usize>,
            stack: Vec<&'g ModPath>,
            on_stack: BTreeSet<&'g ModPath>,
            found: Vec<Vec<ModPath>>,
        }
        impl<'g> Walk<'g> {
            fn visit(&mut self, v: &'g ModPath) {
                let n = self.index.len();
                self.index.insert(v, n);
                self.low.insert(v, n);
                self.stack.push(v);
                self.on_stack.insert(v);
                for w in self.graph.edges.get(v).into_iter().flatten() {
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let low = self.low[v].min(self.low[w]);
                        self.low.insert(v, low);
                    } else if self.on_stack.contains(w) {
                        let low = self.low[v].min(self.index[w]);
                        self.low.insert(v, low);
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on_stack.remove(w);
                        component.push(w.clone());
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort();
                        self.found.push(component);
                    }
                }
            }
        }
        let mut walk = Walk {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        for v in &self.modules {
            if !walk.index.contains_key(v) {
                walk.visit(v);
            }
        }
        walk.found
    }
}

fn collect_rs(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The absolute module paths `text` (the file of `module`) uses in code:
/// paths from `crate`, `super` or `self`, and paths that start with the name
/// of a child module (`ops::upsert` in `store/repo/mod.rs`) except in a
/// `pub use` (a re-export of a child's item is the module's public face). `super` of
/// `a/b/mod.rs` and of `a/b.rs` alike (module `a::b`) is `a`.
fn references(text: &str, module: &[String], modules: &BTreeSet<ModPath>) -> Vec<ModPath> {
    let code = strip_comments_and_strings(text);
    let tokens = tokenize(&code);
    let mut found = Vec::new();
    // Inline modules (`mod tests { ... }`) open a scope `super` leaves.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    // Inside `pub use ...;`: a module's re-export of its children's items
    // is its public face, not a use of them (not an edge to a child).
    let mut reexport = false;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "use" if i > 0 && (tokens[i - 1] == "pub" || tokens[i - 1] == ")") => reexport = true,
            ";" => reexport = false,
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((tokens[i + 1].clone(), depth));
            }
            "crate" | "super" | "self" if tokens.get(i + 1).is_some_and(|t| t == "::") => {
                let mut base: ModPath = module.to_vec();
                base.extend(inline.iter().map(|(name, _)| name.clone()));
                if tokens[i] == "crate" {
                    base.clear();
                    i += 2;
                } else {
                    while tokens.get(i).is_some_and(|t| t == "super" || t == "self")
                        && tokens.get(i + 1).is_some_and(|t| t == "::")
                    {
                        if tokens[i] == "super" {
                            base.pop();
                        }
                        i += 2;
                    }
                }
                i = path_tail(&tokens, i, base, &mut found);
                continue;
            }
            name if is_ident(name)
                && tokens.get(i + 1).is_some_and(|t| t == "::")
                && (i == 0 || tokens[i - 1] != "::") =>
            {
                let mut base: ModPath = module.to_vec();
                base.extend(inline.iter().map(|(name, _)| name.clone()));
                let mut child = base.clone();
                child.push(name.to_string());
                if modules.contains(&child) {
                    let mut paths = Vec::new();
                    i = path_tail(&tokens, i, base, &mut paths);
                    if !reexport {
                        found.extend(paths);
                    }
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Reads `a::b::{c::d, e}` from `tokens[i]` on, under `base`; pushes the
/// paths and returns the index after them.
fn path_tail(tokens: &[String], mut i: usize, mut base: ModPath, found: &mut Vec<ModPath>) -> usize {
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                while let Some(token) = tokens.get(i) {
                    match token.as_str() {
                        "}" => return i + 1,
                        "," => i += 1,
                        _ => i = path_tail(tokens, i, base.clone(), found),
                    }
                }
                return i;
            }
            Some(t) if is_ident(t) => {
                if t != "self" {
                    base.push(t.to_string());
                }
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                    continue;
                }
                found.push(base);
                return i;
            }
            _ => {
                found.push(base);
                return i;
            }
        }
    }
}

fn is_ident(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::`, and every other character as its own token.
fn tokenize(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut ident = c.to_string();
            while let Some(&n) = chars.peek() {
                if n.is_alphanumeric() || n == '_' {
                    ident.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(ident);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push("::".into());
        } else if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    tokens
}

/// `text` without comments (doc comments and their links included) and with
/// string literals emptied, so that only code is scanned.
fn strip_comments_and_strings(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += rest[body..]
                .find(&close)
                .map_or(rest.len(), |end| body + end + close.len());
            out.push_str("\"\"");
        } else if rest.starts_with("'\"'") {
            i += 3;
        } else if rest.starts_with("'\\\"'") {
            i += 4;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += (j + 1).min(rest.len());
            out.push_str("\"\"");
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}
