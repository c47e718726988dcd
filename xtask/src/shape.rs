//! `cargo xtask shape`: two rules of the code's shape that `cargo xtask test`
//! checks, so they hold after every change.
//!
//! - Dependencies between modules flow one way: no import circle of more
//!   than [`MAX_CIRCLE`] modules in any crate of the workspace. A module is
//!   a file; an edge is any path from one file into another (a `use`, a
//!   qualified name, a path inside an attribute or a macro such as
//!   `#[openapi(paths(crate::..))]`), resolved as rustc resolves `crate::`,
//!   `super::`, `self::` and a child module's name. Inline modules (`mod
//!   tests { .. }`) belong to their file.
//! - Functions read in one screen: none over [`MAX_LINES`] lines (from `fn`
//!   to its closing brace) in the crates people read most
//!   ([`LENGTH_CRATES`]), unless it carries
//!   `#[allow(clippy::too_many_lines, reason = "..")]` (or `expect`) saying
//!   why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

use crate::shell::Shell;

/// The most modules an import circle may hold.
pub const MAX_CIRCLE: usize = 3;
/// The most lines a function may have without a written reason.
pub const MAX_LINES: usize = 80;
/// The source folders whose module graphs are checked.
const CRATES: [&str; 8] = [
    "api/src",
    "shared/src",
    "verifier/src",
    "portal-ui/src",
    "proto/src",
    "xtask/src",
    "e2e/tests/it",
    "api/tests/it",
];
/// The source folders whose function lengths are checked.
pub const LENGTH_CRATES: [&str; 4] = ["api/src", "shared/src", "verifier/src", "portal-ui/src"];

/// Runs both checks over the workspace; fails naming every circle and
/// every long function.
pub fn check(shell: &Shell) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for folder in CRATES {
        let root = shell.root.join(folder);
        if !root.is_dir() {
            continue;
        }
        let graph = Graph::read(&root)?;
        for circle in graph.circles() {
            if circle.len() > MAX_CIRCLE {
                problems.push(format!(
                    "{folder}: an import circle of {} modules: {}",
                    circle.len(),
                    graph.describe(&circle)
                ));
            }
        }
    }
    for folder in LENGTH_CRATES {
        for long in long_functions(&shell.root.join(folder))? {
            problems.push(format!(
                "{}:{}: fn {} has {} lines (at most {MAX_LINES}); split it by its steps, \
                 or write why not in #[allow(clippy::too_many_lines, reason = \"..\")]",
                long.file.display(),
                long.line,
                long.name,
                long.lines
            ));
        }
    }
    if problems.is_empty() {
        println!(
            "    no import circle over {MAX_CIRCLE} modules, no function over {MAX_LINES} lines \
             without a reason"
        );
        return Ok(());
    }
    for problem in &problems {
        eprintln!("    {problem}");
    }
    bail!("{} shape problems", problems.len())
}

/// The modules of one crate (by file) and the paths between them.
#[derive(Debug, Default)]
pub struct Graph {
    /// Module path (`a::b`, `` for the crate root) → its file.
    files: BTreeMap<String, PathBuf>,
    /// Module → the modules it names.
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Reads every `.rs` file under `root` (a crate's `src`).
    pub fn read(root: &Path) -> anyhow::Result<Self> {
        let mut sources = BTreeMap::new();
        // Beside a library, `main.rs` and `bin/` are crates of their own that
        // use the library by its name: not modules of its graph.
        let has_library = root.join("lib.rs").is_file();
        let other_crate = |file: &Path| {
            has_library && (file == root.join("main.rs") || file.starts_with(root.join("bin")))
        };
        for file in rust_files(root)?
            .into_iter()
            .filter(|file| !other_crate(file))
        {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = syn::parse_file(&text)
                .with_context(|| format!("cannot parse {}", file.display()))?;
            sources.insert(file, parsed);
        }
        let mut modules: BTreeMap<PathBuf, String> = sources
            .keys()
            .map(|file| (file.clone(), module_of(root, file)))
            .collect();
        // `#[path = "x.rs"] mod name;` puts x.rs at `this::name`.
        for (file, parsed) in &sources {
            let here = modules[file].clone();
            for item in &parsed.items {
                if let syn::Item::Mod(declared) = item
                    && let Some(target) = path_attribute(&declared.attrs)
                {
                    let target = file.parent().unwrap_or(root).join(target);
                    modules.insert(target, join(&here, &declared.ident.to_string()));
                }
            }
        }
        let mut graph = Graph {
            files: modules
                .iter()
                .map(|(file, module)| (module.clone(), file.clone()))
                .collect(),
            edges: BTreeMap::new(),
        };
        for (file, parsed) in &sources {
            let module = modules[file].clone();
            let mut collector = Collector {
                graph: &graph,
                file_module: module.clone(),
                current: module.clone(),
                found: BTreeSet::new(),
            };
            collector.visit_file(parsed);
            let found = collector.found;
            graph.edges.insert(module, found);
        }
        Ok(graph)
    }

    /// Whether `module` is one of the crate's files.
    fn is_file(&self, module: &str) -> bool {
        self.files.contains_key(module)
    }

    /// The file module that holds `module` (the longest known prefix).
    fn file_of(&self, module: &str) -> Option<String> {
        let mut candidate = module.to_owned();
        loop {
            if self.is_file(&candidate) {
                return Some(candidate);
            }
            match candidate.rfind("::") {
                Some(at) => candidate.truncate(at),
                None if !candidate.is_empty() => candidate.clear(),
                None => return None,
            }
        }
    }

    /// Whether `parent` has a child module (a file, or an inline module
    /// declared in it) named `name`.
    fn has_child(&self, parent: &str, name: &str) -> bool {
        self.is_file(&join(parent, name))
    }

    /// Every strongly connected set of more than one module (Tarjan).
    pub fn circles(&self) -> Vec<Vec<String>> {
        let nodes: Vec<&String> = self.files.keys().collect();
        let index_of: BTreeMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(index, name)| (name.as_str(), index))
            .collect();
        let successors: Vec<Vec<usize>> = nodes
            .iter()
            .map(|name| {
                self.edges
                    .get(*name)
                    .into_iter()
                    .flatten()
                    .filter_map(|target| index_of.get(target.as_str()).copied())
                    .collect()
            })
            .collect();
        strongly_connected(&successors)
            .into_iter()
            .filter(|component| component.len() > 1)
            .map(|component| {
                let mut names: Vec<String> = component
                    .into_iter()
                    .map(|index| nodes[index].clone())
                    .collect();
                names.sort();
                names
            })
            .collect()
    }

    /// The circle's modules, each with the ones of the circle it names.
    fn describe(&self, circle: &[String]) -> String {
        let members: BTreeSet<&String> = circle.iter().collect();
        circle
            .iter()
            .map(|module| {
                let named: Vec<&str> = self.edges[module]
                    .iter()
                    .filter(|target| members.contains(target))
                    .map(|target| display(target))
                    .collect();
                format!("{} -> [{}]", display(module), named.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn display(module: &str) -> &str {
    if module.is_empty() { "crate" } else { module }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}::{name}")
    }
}

fn parent_of(module: &str) -> Option<String> {
    if module.is_empty() {
        return None;
    }
    Some(
        module
            .rfind("::")
            .map_or_else(String::new, |at| module[..at].to_owned()),
    )
}

/// `src/a/b.rs` → `a::b`; `mod.rs`, `lib.rs` and `main.rs` name their folder.
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|last| matches!(last.as_str(), "mod" | "lib" | "main"))
    {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list {}", folder.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn path_attribute(attributes: &[syn::Attribute]) -> Option<String> {
    attributes.iter().find_map(|attribute| {
        let syn::Meta::NameValue(pair) = &attribute.meta else {
            return None;
        };
        if !pair.path.is_ident("path") {
            return None;
        }
        match &pair.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        }
    })
}

/// Collects the file modules one file names.
struct Collector<'a> {
    graph: &'a Graph,
    /// The file's module.
    file_module: String,
    /// The module the visitor is in (the file's, or an inline one in it).
    current: String,
    found: BTreeSet<String>,
}

impl Collector<'_> {
    /// Resolves `segments` (a path as written) from the current module and
    /// records the file it lands in, when it is another file of the crate.
    fn record(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let mut base = match first.as_str() {
            "crate" => String::new(),
            "self" => self.current.clone(),
            "super" => match parent_of(&self.current) {
                Some(parent) => parent,
                None => return,
            },
            name if self.graph.has_child(&self.current, name) => join(&self.current, name),
            _ => return,
        };
        let rest = &segments[1..];
        for segment in rest {
            if segment == "super" {
                match parent_of(&base) {
                    Some(parent) => base = parent,
                    None => return,
                }
            } else {
                base = join(&base, segment);
            }
        }
        if let Some(file) = self.graph.file_of(&base)
            && file != self.file_module
        {
            self.found.insert(file);
        }
    }

    /// Paths inside tokens the parser does not see into (attributes,
    /// macros): `crate`, `self` or `super` followed by `::` and names.
    fn record_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut index = 0;
        while index < trees.len() {
            match &trees[index] {
                TokenTree::Group(group) => self.record_tokens(group.stream()),
                TokenTree::Ident(ident)
                    if matches!(ident.to_string().as_str(), "crate" | "self" | "super") =>
                {
                    let mut segments = vec![ident.to_string()];
                    let mut next = index + 1;
                    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) =
                        (trees.get(next), trees.get(next + 1))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        match trees.get(next + 2) {
                            Some(TokenTree::Ident(name)) => {
                                segments.push(name.to_string());
                                next += 3;
                            }
                            _ => break,
                        }
                    }
                    if segments.len() > 1 {
                        self.record(&segments);
                    }
                    index = next.max(index + 1);
                    continue;
                }
                _ => {}
            }
            index += 1;
        }
    }

    fn record_use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.record_use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                prefix.push(name.ident.to_string());
                self.record(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                self.record(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.record(prefix),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.record_use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        for attribute in &module.attrs {
            self.visit_attribute(attribute);
        }
        if module.content.is_none() {
            return;
        }
        let inner = join(&self.current, &module.ident.to_string());
        let outer = std::mem::replace(&mut self.current, inner);
        syn::visit::visit_item_mod(self, module);
        self.current = outer;
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.record_use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        self.record(&segments);
        syn::visit::visit_path(self, path);
    }

    /// `pub(crate)`, `pub(super)`, `pub(in path)` name where an item is
    /// visible, not what it uses.
    fn visit_visibility(&mut self, _visibility: &'ast syn::Visibility) {}

    fn visit_attribute(&mut self, attribute: &'ast syn::Attribute) {
        match &attribute.meta {
            syn::Meta::List(list) => self.record_tokens(list.tokens.clone()),
            syn::Meta::NameValue(pair) => self.visit_expr(&pair.value),
            syn::Meta::Path(_) => {}
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.record_tokens(mac.tokens.clone());
    }
}

/// Tarjan's algorithm, iteratively (no recursion depth to worry about).
fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const NONE: usize = usize::MAX;
    let count = successors.len();
    let mut index = vec![NONE; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    for start in 0..count {
        if index[start] != NONE {
            continue;
        }
        // (node, position in its successor list)
        let mut work = vec![(start, 0)];
        index[start] = next_index;
        low[start] = next_index;
        next_index += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (node, ref mut position)) = work.last_mut() {
            if let Some(&next) = successors[node].get(*position) {
                *position += 1;
                if index[next] == NONE {
                    index[next] = next_index;
                    low[next] = next_index;
                    next_index += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// A function over [`MAX_LINES`] lines without a written reason.
#[derive(Debug, PartialEq, Eq)]
pub struct LongFunction {
    /// Its file.
    pub file: PathBuf,
    /// The line of its `fn`.
    pub line: usize,
    /// Its name.
    pub name: String,
    /// Lines from `fn` to the closing brace.
    pub lines: usize,
}

/// The functions under `root` over [`MAX_LINES`] lines without a reason.
pub fn long_functions(root: &Path) -> anyhow::Result<Vec<LongFunction>> {
    let mut long = Vec::new();
    for file in rust_files(root)? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let parsed =
            syn::parse_file(&text).with_context(|| format!("cannot parse {}", file.display()))?;
        let mut finder = LengthFinder {
            file: file.clone(),
            long: Vec::new(),
        };
        finder.visit_file(&parsed);
        long.extend(finder.long);
    }
    Ok(long)
}

struct LengthFinder {
    file: PathBuf,
    long: Vec<LongFunction>,
}

impl LengthFinder {
    fn measure(
        &mut self,
        attributes: &[syn::Attribute],
        signature: &syn::Signature,
        body: &syn::Block,
    ) {
        let first = signature.fn_token.span.start().line;
        let last = body.brace_token.span.close().end().line;
        let lines = last.saturating_sub(first) + 1;
        if lines > MAX_LINES && !has_reason(attributes) {
            self.long.push(LongFunction {
                file: self.file.clone(),
                line: first,
                name: signature.ident.to_string(),
                lines,
            });
        }
    }
}

impl<'ast> Visit<'ast> for LengthFinder {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.measure(&item.attrs, &item.sig, &item.block);
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.measure(&item.attrs, &item.sig, &item.block);
        syn::visit::visit_impl_item_fn(self, item);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.measure(&item.attrs, &item.sig, body);
        }
        syn::visit::visit_trait_item_fn(self, item);
    }
}

/// Whether the attributes hold `allow` or `expect` of
/// `clippy::too_many_lines` with a `reason`.
fn has_reason(attributes: &[syn::Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        let is_lint = attribute.path().is_ident("allow") || attribute.path().is_ident("expect");
        let syn::Meta::List(list) = &attribute.meta else {
            return false;
        };
        let text = list.tokens.to_string().replace(' ', "");
        is_lint && text.contains("clippy::too_many_lines") && text.contains("reason=\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_of(files: &[(&str, &str)]) -> tempfile_dir::Dir {
        let dir = tempfile_dir::Dir::new();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    /// A folder under the system's temporary folder, removed on drop (no
    /// crate for two tests).
    mod tempfile_dir {
        pub struct Dir(std::path::PathBuf);

        impl Dir {
            pub fn new() -> Self {
                let unique = format!(
                    "xtask-shape-{}-{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|elapsed| elapsed.as_nanos())
                        .unwrap_or_default()
                );
                let path = std::env::temp_dir().join(unique);
                std::fs::create_dir_all(&path).expect("temporary folder");
                Self(path)
            }

            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn circles_are_found_through_every_kind_of_path() {
        let dir = crate_of(&[
            ("lib.rs", "mod a; mod b; mod c; mod d;"),
            // a names b with `use crate::`, b names c in an expression,
            // c names d through `super::` in a macro's tokens, d names a
            // inside an attribute.
            ("a.rs", "use crate::b::Thing; pub(super) struct A;"),
            ("b.rs", "pub(crate) fn f() { crate::c::g(); }"),
            ("c/mod.rs", "fn h() { format!(\"{}\", super::d::X); }"),
            ("d.rs", "#[doc_paths(paths(crate::a::item))] fn i() {}"),
        ]);
        let graph = Graph::read(dir.path()).expect("read");
        assert_eq!(
            graph.circles(),
            vec![vec!["a".to_owned(), "b".into(), "c".into(), "d".into()]]
        );
    }

    #[test]
    fn a_test_module_naming_its_file_is_no_circle() {
        let dir = crate_of(&[
            ("lib.rs", "mod a; mod b;"),
            // `super` inside `mod tests` is the file's own module.
            (
                "a.rs",
                "use crate::b::B; pub fn f() {} #[cfg(test)] mod tests { use super::f; }",
            ),
            ("b/mod.rs", "pub struct B; mod inner;"),
            ("b/inner.rs", "use super::B;"),
            ("b/x_tests.rs", "use super::*;"),
        ]);
        let graph = Graph::read(dir.path()).expect("read");
        assert!(graph.circles().is_empty(), "{:?}", graph.circles());
        assert!(graph.edges["a"].contains("b"));
        assert!(graph.edges["b::inner"].contains("b"));
        assert!(!graph.edges["b"].contains("b::inner"));
    }

    #[test]
    fn a_parent_and_child_naming_each_other_is_a_circle_of_two() {
        let dir = crate_of(&[
            ("lib.rs", "mod a;"),
            (
                "a/mod.rs",
                "mod child; pub struct S; fn f() { child::g(); }",
            ),
            ("a/child.rs", "pub fn g() { let _ = super::S; }"),
        ]);
        let graph = Graph::read(dir.path()).expect("read");
        assert_eq!(
            graph.circles(),
            vec![vec!["a".to_owned(), "a::child".into()]]
        );
    }

    #[test]
    fn a_binary_beside_a_library_is_another_crate() {
        let dir = crate_of(&[
            ("lib.rs", "pub mod task; pub mod check;"),
            ("task.rs", "use crate::check::C;"),
            (
                "check.rs",
                "pub struct C; pub fn f() { let _ = crate::Root; }",
            ),
            // The binary's `task` is the library's, reached by its name.
            ("main.rs", "use library::task; fn main() { task::run(); }"),
            (
                "bin/tool.rs",
                "use library::check; fn main() { check::f(); }",
            ),
        ]);
        let graph = Graph::read(dir.path()).expect("read");
        assert!(graph.circles().is_empty(), "{:?}", graph.circles());
    }

    #[test]
    fn long_functions_need_a_reason() {
        let body = "    let _ = 1;\n".repeat(MAX_LINES);
        let dir = crate_of(&[(
            "lib.rs",
            &format!(
                "fn short() {{}}\nfn long() {{\n{body}}}\n\
                 #[allow(clippy::too_many_lines, reason = \"a table\")]\nfn table() {{\n{body}}}\n\
                 #[allow(clippy::too_many_lines)]\nfn unexplained() {{\n{body}}}\n"
            ),
        )]);
        let long = long_functions(dir.path()).expect("measure");
        let names: Vec<&str> = long.iter().map(|found| found.name.as_str()).collect();
        assert_eq!(names, ["long", "unexplained"]);
        assert_eq!(long[0].lines, MAX_LINES + 2);
        assert_eq!(long[0].line, 2);
    }
}
