//! The changed lines of an edit, rendered for a terminal:
//!
//! ```text
//! models.toml:12 [providers.openai]
//! -  { name = "gpt-4o", token_limit = 128_000 },
//! +  { name = "gpt-4o", token_limit = 128_000, deprecated = true },
//! ```
//!
//! One block per run of changed lines, headed by the line in the file before
//! the edit where it starts (lines only added: the line they go before) and
//! the table it is in.

use std::fmt::Write as _;

/// One line of the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The rendering of the lines that differ between `before` and `after`;
/// empty when they are equal.
pub(crate) fn render(origin: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let script = line_script(&old, &new);
    let mut out = String::new();
    let mut old_line = 0; // lines of `old` consumed so far
    let mut index = 0;
    while index < script.len() {
        if matches!(script[index], Line::Same(_)) {
            old_line += 1;
            index += 1;
            continue;
        }
        let section = section_of(&old, old_line);
        let _ = write!(out, "{origin}:{}", old_line + 1);
        if let Some(section) = section {
            let _ = write!(out, " {section}");
        }
        out.push('\n');
        let mut removed = Vec::new();
        let mut added = Vec::new();
        while let Some(line) = script
            .get(index)
            .filter(|line| !matches!(line, Line::Same(_)))
        {
            match line {
                Line::Removed(text) => {
                    removed.push(*text);
                    old_line += 1;
                }
                Line::Added(text) => added.push(*text),
                Line::Same(_) => {}
            }
            index += 1;
        }
        for text in removed {
            let _ = writeln!(out, "-{text}");
        }
        for text in added {
            let _ = writeln!(out, "+{text}");
        }
    }
    if out.is_empty() {
        // Only line endings differ (e.g. a final newline).
        let _ = writeln!(out, "{origin}:{} (line endings)", old.len().max(1));
    }
    out
}

/// The last table header (`[…]`) at or before line index `at` of `old`.
fn section_of<'a>(old: &[&'a str], at: usize) -> Option<&'a str> {
    old.iter()
        .take(at.min(old.len()))
        .rev()
        .map(|line| line.trim())
        .find(|line| line.starts_with('['))
}

/// A shortest edit script from `old` to `new` by longest common subsequence
/// (after trimming the common ends, so the table stays small).
fn line_script<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Line<'a>> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let a = &old[prefix..old.len() - suffix];
    let b = &new[prefix..new.len() - suffix];
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0usize; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let mut script: Vec<Line<'a>> = old[..prefix].iter().map(|line| Line::Same(line)).collect();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            script.push(Line::Same(a[i]));
            i += 1;
            j += 1;
        } else if i < a.len()
            && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])
        {
            script.push(Line::Removed(a[i]));
            i += 1;
        } else {
            script.push(Line::Added(b[j]));
            j += 1;
        }
    }
    script.extend(
        old[old.len() - suffix..]
            .iter()
            .map(|line| Line::Same(line)),
    );
    slide_down(&mut script);
    script
}

/// Moves each run of only added (or only removed) lines past an unchanged
/// line equal to its first: the same change, but a new block closed by `]`
/// shows as `deleted = [`, …, `]` after the `]` before it, not as `]`,
/// `deleted = [`, … before the `]` after it.
fn slide_down(script: &mut [Line<'_>]) {
    let mut start = 0;
    while start < script.len() {
        let kind = |line: &Line<'_>| match line {
            Line::Same(_) => 0,
            Line::Removed(_) => 1,
            Line::Added(_) => 2,
        };
        if kind(&script[start]) == 0 {
            start += 1;
            continue;
        }
        let run = kind(&script[start]);
        let mut end = start;
        while end < script.len() && kind(&script[end]) == run {
            end += 1;
        }
        let text = |line: &Line<'_>| match *line {
            Line::Same(text) | Line::Removed(text) | Line::Added(text) => text.to_owned(),
        };
        if end < script.len()
            && kind(&script[end]) == 0
            && text(&script[end]) == text(&script[start])
        {
            script.swap(start, end);
            start += 1;
        } else {
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn equal_texts_render_nothing() {
        assert_eq!(render("models.toml", "a\nb\n", "a\nb\n"), "");
    }

    #[test]
    fn a_changed_line_and_a_moved_one_are_two_blocks() {
        let before = "[providers.x]\nmodels = [\n  a,\n  b,\n]\ndeleted = [\n  c,\n]\n";
        let after = "[providers.x]\nmodels = [\n  b,\n]\ndeleted = [\n  c,\n  a2,\n]\n";
        assert_eq!(
            render("models.toml", before, after),
            "models.toml:3 [providers.x]\n-  a,\nmodels.toml:8 [providers.x]\n+  a2,\n"
        );
    }

    #[test]
    fn a_changed_line_shows_old_then_new() {
        assert_eq!(
            render("m.toml", "x\ny\nz\n", "x\nY\nz\n"),
            "m.toml:2\n-y\n+Y\n"
        );
        assert_eq!(
            render("m.toml", "x\n", "x\n[providers.a]\n"),
            "m.toml:2\n+[providers.a]\n"
        );
    }
}
