//! The plan as text that reads like a diff:
//!
//! ```text
//! + create openai/gpt-5 (token limit 400,000)
//! ~ update openai/gpt-4o: token limit 128,000 → 200,000
//! → repoint 1,204 rows in pipeline_nodes.params: openai/gpt-4-turbo → openai/gpt-4.1
//! - delete openai/gpt-4-turbo (row 12), replaced by openai/gpt-4.1
//! ! unmanaged openai/my-finetune (row 99): not in models.toml, left alone
//! ```

use llm_lifecycle_catalog::ReferenceKind;
use std::fmt::Write as _;

use super::{Plan, Reason, Refusal};
use crate::diff::{BATCH_TARGET, FEWEST_ROWS};

pub use crate::diff::{rows, thousands};

/// The whole plan as diff-like text, one action per line, then a summary line.
#[must_use]
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    for create in &plan.creates {
        let _ = writeln!(
            out,
            "+ create {} (token limit {})",
            create.model,
            thousands(create.token_limit)
        );
    }
    for update in &plan.updates {
        let mut changes = Vec::new();
        if let Some(change) = update.token_limit {
            changes.push(format!(
                "token limit {} → {}",
                thousands(change.from),
                thousands(change.to)
            ));
        }
        if let Some(change) = update.deprecated {
            changes.push(if change.to {
                "deprecated".to_owned()
            } else {
                "no longer deprecated".to_owned()
            });
        }
        let _ = writeln!(out, "~ update {}: {}", update.model, changes.join(", "));
    }
    for merge in &plan.merges {
        let _ = writeln!(out, "~ merge {} into {}", merge.describe(), merge.target());
    }
    for update in &plan.reference_updates {
        let location = match (&update.kind, &update.key) {
            (ReferenceKind::Json, Some(key)) => format!("{}.{}→{key}", update.table, update.column),
            _ => format!("{}.{}", update.table, update.column),
        };
        let from = match (update.reason, update.from_team, update.from_id) {
            (Reason::Merge, Some(team), _) => format!("team {team}'s {}", update.from),
            (Reason::Merge, None, Some(id)) => {
                format!("duplicate global {} (row {id})", update.from)
            }
            (Reason::Stale, _, Some(id)) => format!(
                "{} (row {id}, written after an earlier run removed it)",
                update.from
            ),
            _ => update.from.to_string(),
        };
        match &update.to {
            Some(to) => {
                let _ = writeln!(
                    out,
                    "→ repoint {} in {location}: {from} → {to}",
                    rows(update.rows)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "∅ clear {} in {location}: {from} has no replacement",
                    rows(update.rows)
                );
            }
        }
    }
    out.push_str(&batching(plan));
    for deletion in &plan.deletions {
        let _ = match &deletion.replacement {
            Some(to) => writeln!(
                out,
                "- delete {} (row {}), replaced by {to}",
                deletion.model, deletion.id
            ),
            None => writeln!(
                out,
                "- delete {} (row {}), no replacement",
                deletion.model, deletion.id
            ),
        };
    }
    for merge in &plan.merges {
        let _ = writeln!(out, "- delete {}, merged", merge.describe());
    }
    out.push_str(&super::notices::text(plan));
    out.push_str(&sunsets(plan));
    for unmanaged in &plan.unmanaged {
        let _ = writeln!(
            out,
            "! unmanaged {} (row {}): neither declared nor deleted in models.toml; left alone",
            unmanaged.model, unmanaged.id
        );
    }
    for skipped in &plan.skipped {
        let _ = writeln!(
            out,
            "! skip {} in {}.{}: not a JSON object, so no model id; left as they are",
            rows(skipped.rows),
            skipped.table,
            skipped.column
        );
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "! {warning}");
    }
    for refusal in &plan.refusals {
        let _ = writeln!(out, "✗ refused: {refusal}");
        if let Some(toml) = refusal.toml_to_add() {
            let _ = writeln!(out, "  add to models.toml:");
            for line in toml.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// With `--batch-size`: per reference column with rows to move, whether
/// they move in batches before the final transaction, and what is left to it.
#[must_use]
pub fn batching(plan: &Plan) -> String {
    let mut out = String::new();
    let Some(batching) = &plan.batching else {
        return out;
    };
    let size = batching.batch_size;
    for column in &batching.columns {
        let location = format!("{}.{}", column.table, column.column);
        match &column.key {
            None => {
                let _ = writeln!(
                    out,
                    "! no batches in {location}: it has no primary key of one integer column, \
                     so the final transaction moves its {}",
                    rows(column.rows + column.final_rows)
                );
            }
            Some(key) => {
                if column.rows > 0 {
                    let batches = column.batches(size);
                    // Paced batches (`diff::BATCH_TARGET`): from FEWEST_ROWS on,
                    // as many as their time says; the count is the fewest.
                    let paced = size > FEWEST_ROWS && column.rows > FEWEST_ROWS;
                    let count = match (batches, paced) {
                        (1, _) => "1 batch".to_owned(),
                        (_, false) => format!("{} batches", thousands(batches)),
                        (_, true) => format!("{} batches or more", thousands(batches)),
                    };
                    let pace = if paced {
                        format!(
                            " (the first of {} rows, then each sized to take about {} ms)",
                            thousands(FEWEST_ROWS),
                            BATCH_TARGET.as_millis()
                        )
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        out,
                        "⇉ batch {} in {location}: {count} of at most {} by {key}{pace}, each \
                         committed before the final transaction",
                        rows(column.rows),
                        thousands(size),
                    );
                }
                if column.final_rows > 0 {
                    let _ = writeln!(
                        out,
                        "  the final transaction moves {} of {location}, to a model row it creates",
                        rows(column.final_rows)
                    );
                }
            }
        }
    }
    out
}

/// One line per sunset: `⏳` ahead, `‼` past due (`apply-models check`
/// fails while a past-due model is still used).
#[must_use]
pub fn sunsets(plan: &Plan) -> String {
    let mut out = String::new();
    for sunset in &plan.sunsets {
        let mark = if sunset.is_past_due() { "‼" } else { "⏳" };
        let _ = writeln!(out, "{mark} sunset: {sunset}");
    }
    out
}

/// One line: what the plan does, or that there is nothing to do.
#[must_use]
pub fn summary(plan: &Plan) -> String {
    if plan.is_refused() {
        return format!(
            "Plan refused: {} problem(s) must be fixed before anything is written.",
            plan.refusals.len()
        );
    }
    if plan.is_noop() {
        return "Nothing to do: the database matches the catalogue.".to_owned();
    }
    // One part per kind of line, each counting exactly the lines it names: a
    // merged team row has a `~ merge` and a `- delete … merged` line, and is
    // counted once, as merged and deleted.
    let mut parts = Vec::new();
    let mut count = |n: usize, one: &str, many: &str| {
        if n > 0 {
            let n = thousands(i128::try_from(n).unwrap_or(i128::MAX));
            parts.push(format!("{n} {}", if n == "1" { one } else { many }));
        }
    };
    count(plan.creates.len(), "model to create", "models to create");
    count(plan.updates.len(), "model to update", "models to update");
    let team_merges = plan.merges.iter().filter(|m| m.team_id.is_some()).count();
    count(
        team_merges,
        "team row to merge and delete",
        "team rows to merge and delete",
    );
    count(
        plan.merges.len() - team_merges,
        "duplicate global row to merge and delete",
        "duplicate global rows to merge and delete",
    );
    count(plan.deletions.len(), "model to delete", "models to delete");
    count(
        plan.notifications(),
        "team notification to write",
        "team notifications to write",
    );
    if plan.repointed_rows() > 0 {
        parts.push(format!("{} to repoint", rows(plan.repointed_rows())));
    }
    if plan.cleared_rows() > 0 {
        parts.push(format!("{} to clear", rows(plan.cleared_rows())));
    }
    if parts.is_empty() {
        return "Nothing to do: the database matches the catalogue.".to_owned();
    }
    format!("Plan: {}.", parts.join(", "))
}

/// The refusals alone, one per line (for error output).
#[must_use]
pub fn refusals(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(|refusal| format!("✗ {refusal}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(-128_000), "-128,000");
        assert_eq!(rows(1), "1 row");
        assert_eq!(rows(2), "2 rows");
    }

    /// A plan whose only batched column has `rows` rows, at `batch_size`.
    fn batched(batch_size: u64, rows: u64) -> Plan {
        Plan {
            batching: Some(crate::diff::Batching {
                batch_size,
                columns: vec![crate::diff::BatchedColumn {
                    table: "pipeline_nodes".into(),
                    column: "params".into(),
                    key: Some("id".into()),
                    rows,
                    final_rows: 0,
                }],
            }),
            ..Plan::empty(crate::db::Backend::Postgres, String::new(), true)
        }
    }

    #[test]
    fn batches_that_may_shrink_say_so() {
        assert_eq!(
            batching(&batched(10_000, 25_000)),
            "⇉ batch 25,000 rows in pipeline_nodes.params: 5 batches or more of at most 10,000 \
             by id (the first of 1,000 rows, then each sized to take about 100 ms), each \
             committed before the final transaction\n"
        );
        // At most FEWEST_ROWS rows per batch, or to move: exactly that.
        assert_eq!(
            batching(&batched(1_000, 25_000)),
            "⇉ batch 25,000 rows in pipeline_nodes.params: 25 batches of at most 1,000 by id, \
             each committed before the final transaction\n"
        );
        assert_eq!(
            batching(&batched(10_000, 1_000)),
            "⇉ batch 1,000 rows in pipeline_nodes.params: 1 batch of at most 10,000 by id, \
             each committed before the final transaction\n"
        );
    }
}
