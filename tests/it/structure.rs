//! The shape of `src/` (ARCHITECTURE.md's invariants): no import circle
//! between module files, no source file over 400 lines, no function over 60.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Functions allowed past 60 lines, and why.
const LONG_FUNCTIONS: &[(&str, &str)] = &[
    (
        "src/config.rs: pub fn from_settings",
        "one line per setting, mapping the raw settings onto Config",
    ),
    (
        "src/state.rs: fn services",
        "the composition root: one line per dependency of each service",
    ),
];

type Module = Vec<String>;

/// Every `.rs` file under `src/`, by module path (`service::codes::spend`).
fn module_files() -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut module: Module = relative.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            (module, path)
        })
        .collect()
}

/// The file's code without comments and without a trailing `mod tests { … }`.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut code = String::new();
    for (i, line) in lines.iter().enumerate() {
        // Unit tests sit at the end of a file; what follows is theirs.
        let next_is_tests = lines
            .get(i + 1)
            .is_some_and(|l| l.trim_start().starts_with("mod tests"));
        if line.trim() == "#[cfg(test)]" && next_is_tests {
            break;
        }
        code.push_str(line.split("//").next().unwrap_or(""));
        code.push('\n');
    }
    code
}

/// The paths a file names through `crate::` or `super::`, expanded over `{…}`.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    fn ident_end(s: &str) -> usize {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len())
    }
    fn read(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut path = prefix;
        let mut rest = s;
        loop {
            let end = ident_end(rest);
            if end == 0 {
                if let Some(inner) = rest.strip_prefix('{') {
                    // Each top-level item of the group continues the path.
                    let mut depth = 0;
                    let mut start = 0;
                    for (i, c) in inner.char_indices() {
                        match c {
                            '{' => depth += 1,
                            '}' if depth == 0 => {
                                read(inner[start..i].trim(), path.clone(), out);
                                return;
                            }
                            '}' => depth -= 1,
                            ',' if depth == 0 => {
                                read(inner[start..i].trim(), path.clone(), out);
                                start = i + 1;
                            }
                            _ => {}
                        }
                    }
                }
                break;
            }
            path.push(rest[..end].to_string());
            rest = &rest[end..];
            match rest.strip_prefix("::") {
                Some(next) => rest = next,
                None => break,
            }
        }
        out.push(path);
    }
    let mut out = Vec::new();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(root) {
            let at = from + at;
            let before = code[..at].chars().last();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                read(&code[at..], Vec::new(), &mut out);
            }
            from = at + root.len();
        }
    }
    out
}

/// The module file a path lands in (the longest known prefix).
fn resolve(from: &Module, path: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let mut parts: Module = match path.first().map(String::as_str) {
        Some("crate") => path[1..].to_vec(),
        _ => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            let mut base = from.clone();
            base.truncate(base.len().saturating_sub(supers));
            base.extend(path[supers..].iter().cloned());
            base
        }
    };
    while !parts.is_empty() {
        if modules.contains(&parts) {
            return Some(parts);
        }
        parts.pop();
    }
    None
}

/// Module → the sibling or cousin modules it names (a module and its own
/// ancestors or descendants are one unit: `mod.rs` re-exports, `super::`).
fn import_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let files = module_files();
    let modules: BTreeSet<Module> = files.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (module, path) in &files {
        let targets: BTreeSet<Module> = named_paths(&code_of(path))
            .iter()
            .filter_map(|p| resolve(module, p, &modules))
            .filter(|t| !t.starts_with(module) && !module.starts_with(t))
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The modules reachable from `start`.
fn reachable(edges: &BTreeMap<Module, BTreeSet<Module>>, start: &Module) -> BTreeSet<Module> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start.clone()];
    while let Some(m) = todo.pop() {
        for t in edges.get(&m).into_iter().flatten() {
            if seen.insert(t.clone()) {
                todo.push(t.clone());
            }
        }
    }
    seen
}

/// Each edge that closes a circle, as `a -> b -> … -> a`.
fn circles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    let mut found = Vec::new();
    for (module, targets) in edges {
        for target in targets {
            if reachable(edges, target).contains(module) {
                found.push(format!(
                    "{} -> {} -> … -> {}",
                    module.join("::"),
                    target.join("::"),
                    module.join("::")
                ));
            }
        }
    }
    found
}

#[test]
fn a_circle_of_three_is_found() {
    let m = |s: &str| vec![s.to_string()];
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::new());
    assert!(circles(&edges).is_empty());
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    assert_eq!(circles(&edges).len(), 3);
}

#[test]
fn no_module_file_imports_a_module_that_imports_it_back() {
    let edges = import_graph();
    assert!(edges.len() > 50, "found only {} module files", edges.len());
    // A positive control: the composition root names the services.
    assert!(edges[&vec!["state".to_string()]].contains(&vec!["service".to_string(), "accounts".to_string()]));
    let circles = circles(&edges);
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

#[test]
fn the_path_reader_sees_groups_and_nested_groups() {
    let paths = named_paths("use crate::service::{Accounts, codes::{self, Purpose}};\nlet x = super::rules::admit();");
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert!(joined.contains(&"crate::service::Accounts".to_string()), "{joined:?}");
    assert!(
        joined.contains(&"crate::service::codes::Purpose".to_string()),
        "{joined:?}"
    );
    assert!(joined.contains(&"super::rules::admit".to_string()), "{joined:?}");
}

#[test]
fn no_source_file_is_over_400_lines_and_no_function_over_60() {
    let mut problems = Vec::new();
    for path in module_files().values() {
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display()
            .to_string();
        let name = name.trim_start_matches('/').to_string();
        if name.ends_with("/tests.rs") {
            continue;
        }
        let code = code_of(path);
        let lines: Vec<&str> = code.lines().collect();
        if lines.len() > 400 {
            problems.push(format!("{name}: {} lines", lines.len()));
        }
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
                "pub(crate) async fn ",
                "pub(super) fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !is_fn {
                continue;
            }
            let indent = &line[..line.len() - trimmed.len()];
            let Some(open) =
                (i..lines.len()).find(|&j| lines[j].trim_end().ends_with('{') || lines[j].trim_end().ends_with(';'))
            else {
                continue;
            };
            if lines[open].trim_end().ends_with(';') || lines[open].trim_end().ends_with("{}") {
                continue;
            }
            let close = (open + 1..lines.len()).find(|&j| lines[j] == format!("{indent}}}"));
            let length = close.map_or(0, |c| c - i + 1);
            let signature = trimmed.split('(').next().unwrap_or(trimmed);
            let key = format!("{name}: {signature}");
            if length > 60 && !LONG_FUNCTIONS.iter().any(|(k, _)| *k == key) {
                problems.push(format!("{key}: {length} lines"));
            }
        }
    }
    assert!(problems.is_empty(), "too long:\n{}", problems.join("\n"));
}
