//! The results as a Markdown table (readable as text, and by a script).

/// A Markdown table: a header row, the separator, one row per entry; every
/// column padded to its widest cell, the first left-aligned, the rest right-aligned.
pub(crate) fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &width))| {
                if i == 0 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    let separator: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, &width)| {
            if i == 0 {
                "-".repeat(width)
            } else {
                format!("{}:", "-".repeat(width.saturating_sub(1)))
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", separator.join(" | ")));
    for row in rows {
        let mut cells = row.clone();
        cells.resize(columns, String::new());
        out.push_str(&line(cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::markdown_table;

    #[test]
    fn columns_are_padded_and_short_rows_filled() {
        let table = markdown_table(
            &["variant", "s"],
            &[
                vec!["apply".to_owned(), "12.345".to_owned()],
                vec!["baseline, longer".to_owned()],
            ],
        );
        assert_eq!(
            table,
            "| variant          |      s |\n\
             | ---------------- | -----: |\n\
             | apply            | 12.345 |\n\
             | baseline, longer |        |\n"
        );
    }
}
