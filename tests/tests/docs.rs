//! The docs a newcomer navigates: README.md and every page of `docs/`. Every relative link and image there
//! points at a file that exists and, with `#anchor`, at a heading of that file (slugged as GitHub does), so a
//! section moved or renamed cannot leave a dead link behind; and the README stays short enough to read first.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The most lines the README may have: the rest belongs in `docs/`.
const README_MAX_LINES: usize = 250;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// README.md and every `docs/*.md`, in a stable order.
fn doc_files() -> Vec<PathBuf> {
    let root = repo_root();
    let docs = root.join("docs");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&docs)
        .unwrap_or_else(|err| panic!("{}: {err}", docs.display()))
        .map(|entry| entry.expect("a readable entry of docs/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    pages.insert(0, root.join("README.md"));
    pages
}

/// The lines of `text` outside fenced code blocks (```` ``` ```` or `~~~`, closed by the same character at
/// least as many times), with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<(char, usize)> = None;
    let mut prose = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match (fence, marker) {
            (None, Some(c)) if run >= 3 => fence = Some((c, run)),
            (Some((open, length)), Some(c))
                if c == open && run >= length && trimmed[run..].trim().is_empty() =>
            {
                fence = None
            }
            (None, _) => prose.push((index + 1, line)),
            (Some(_), _) => {}
        }
    }
    prose
}

/// `line` with the inside of every inline code span blanked out: `` `[a](b)` `` is code, not a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let run = rest[start..].chars().take_while(|c| *c == '`').count();
        let delimiter = &rest[start..start + run];
        out.push_str(&rest[..start]);
        match rest[start + run..].find(delimiter) {
            Some(end) => {
                out.push_str(&" ".repeat(run + end + run));
                rest = &rest[start + run + end + run..];
            }
            None => {
                out.push_str(delimiter);
                rest = &rest[start + run..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the links and images (`[text](target)`, `![alt](target)`) on one line of prose, without
/// a title (`(target "title")`).
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut targets = Vec::new();
    let mut rest = line.as_str();
    while let Some(open) = rest.find("](") {
        let after = &rest[open + 2..];
        let mut depth = 0usize;
        let mut end = None;
        for (at, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = Some(at);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let inside = after[..end].trim();
        let target = inside.split_whitespace().next().unwrap_or_default();
        let target = target.trim_start_matches('<').trim_end_matches('>');
        if !target.is_empty() {
            targets.push(target.to_owned());
        }
        rest = &after[end..];
    }
    targets
}

/// A heading's anchor as GitHub makes it: the rendered text (a link's text, no code backticks) lowercased,
/// everything but letters, digits, spaces, hyphens and underscores removed, spaces made hyphens.
fn slug(heading: &str) -> String {
    let mut rendered = String::new();
    let mut rest = heading;
    // A link in a heading renders as its text.
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|at| open + at) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|at| close + at) else {
            break;
        };
        rendered.push_str(&rest[..open]);
        rendered.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    rendered.push_str(rest);
    rendered
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor the headings of `text` (outside code blocks) get: a repeated slug takes `-1`, `-2`, ...
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&level) || line.len() - trimmed.len() > 3 {
            continue;
        }
        let title = &trimmed[level..];
        if !(title.is_empty() || title.starts_with(' ') || title.starts_with('\t')) {
            continue;
        }
        let base = slug(title.trim().trim_end_matches('#').trim());
        let mut anchor = base.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchors.insert(anchor);
    }
    anchors
}

/// What is wrong with the relative links of `text`, the content of the file at `file`: one message per
/// link whose file does not exist or whose `#anchor` no heading of that file has. Also how many relative
/// links it checked.
fn broken_links(file: &Path, text: &str) -> (Vec<String>, usize) {
    let dir = file.parent().unwrap_or_else(|| Path::new("."));
    let mut broken = Vec::new();
    let mut checked = 0;
    for (number, line) in prose_lines(text) {
        for target in link_targets(line) {
            let lower = target.to_ascii_lowercase();
            if lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let at = format!("{}:{number}: ({target})", file.display());
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let linked = if path.is_empty() {
                file.to_path_buf()
            } else {
                dir.join(path)
            };
            if !linked.exists() {
                broken.push(format!("{at}: no file {}", linked.display()));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            let content = if path.is_empty() {
                text.to_owned()
            } else {
                match std::fs::read_to_string(&linked) {
                    Ok(content) => content,
                    Err(err) => {
                        broken.push(format!("{at}: cannot read {}: {err}", linked.display()));
                        continue;
                    }
                }
            };
            let headings = anchors(&content);
            if !headings.contains(anchor) {
                broken.push(format!(
                    "{at}: no heading slugs to #{anchor}; there are {headings:?}"
                ));
            }
        }
    }
    (broken, checked)
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in doc_files() {
        let (file_broken, file_checked) = broken_links(&file, &read(&file));
        broken.extend(file_broken);
        checked += file_checked;
    }
    assert!(
        broken.is_empty(),
        "dead links in the docs:\n{}",
        broken.join("\n")
    );
    // The docs link to each other a lot: finding few links means the scanner missed them.
    assert!(checked >= 30, "only {checked} relative links found");
}

#[test]
fn the_readme_stays_under_250_lines() {
    let lines = read(&repo_root().join("README.md")).lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the detail into docs/"
    );
}

#[test]
fn the_readme_links_to_every_page_of_the_docs() {
    let readme = read(&repo_root().join("README.md"));
    let targets: BTreeSet<String> = prose_lines(&readme)
        .into_iter()
        .flat_map(|(_, line)| link_targets(line))
        .map(|target| target.split('#').next().unwrap_or_default().to_owned())
        .collect();
    for page in doc_files().iter().skip(1) {
        let name = page
            .file_name()
            .expect("a page has a file name")
            .to_string_lossy();
        let target = format!("docs/{name}");
        assert!(
            targets.contains(&target),
            "README.md does not link to {target}"
        );
    }
}

#[test]
fn a_missing_file_or_heading_is_reported_and_a_good_link_is_not() {
    let readme = repo_root().join("README.md");
    let text = "# Top\n\n[gone](docs/no-such-page.md) [nowhere](#no-such-heading) [top](#top)\n\
                [errors](docs/api.md#errors) [image](docs/dashboard.png) [web](https://example.com/x)\n";
    let (broken, checked) = broken_links(&readme, text);
    assert_eq!(
        checked, 5,
        "every relative link is checked, the web link is not"
    );
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert!(broken[0].contains("no-such-page.md"), "{broken:?}");
    assert!(broken[1].contains("#no-such-heading"), "{broken:?}");
}

#[test]
fn links_in_code_are_not_links() {
    let text = "```sh\ncurl [a](b)\n```\n`[c](d)` and ``[e](f)`` but [g](h)\n~~~\n[i](j)\n~~~\n";
    let targets: Vec<String> = prose_lines(text)
        .into_iter()
        .flat_map(|(_, line)| link_targets(line))
        .collect();
    assert_eq!(targets, ["h"]);
}

#[test]
fn a_link_target_keeps_its_parentheses_and_drops_its_title() {
    assert_eq!(
        link_targets(r#"![alt](docs/dashboard.png "The dashboard") and [x](a_(b).md#c)"#),
        ["docs/dashboard.png", "a_(b).md#c"]
    );
}

#[test]
fn headings_slug_as_github_makes_them() {
    assert_eq!(slug("The restore drill (local)"), "the-restore-drill-local");
    assert_eq!(slug("`HEAD` and `OPTIONS`"), "head-and-options");
    assert_eq!(
        slug("Memory API: account and API-key service"),
        "memory-api-account-and-api-key-service"
    );
    assert_eq!(
        slug("One log line per request, and metrics"),
        "one-log-line-per-request-and-metrics"
    );
    assert_eq!(slug("What `make test` runs"), "what-make-test-runs");
    assert_eq!(
        slug("snake_case and [a link](x.md)"),
        "snake_case-and-a-link"
    );
    let text =
        "# Usage\n## Usage\n```\n# Usage\n```\n### Usage ###\n    # indented code, no heading\n";
    let expected: BTreeSet<String> = ["usage", "usage-1", "usage-2"].map(String::from).into();
    assert_eq!(anchors(text), expected);
}
