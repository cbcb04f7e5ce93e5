//! The journal rows describing what an apply did, one per action.

use super::steps::Targets;
use crate::ledger::Event;
use crate::plan::{Plan, Reason, ReferenceUpdate};
use crate::references::RefColumn;

/// `json key llm_provider_model_id`, with the companions it rewrote:
/// `; user_max_token_limit set to the token limit; llm_model_parameters removed`
/// (when clearing, every companion is removed).
fn json_detail(key: &str, column: Option<&RefColumn>, repointed: bool) -> String {
    let mut detail = format!("json key {key}");
    let Some(column) = column else {
        return detail;
    };
    for companion in &column.companion_limits {
        if repointed {
            detail.push_str(&format!("; {companion} set to the token limit"));
        } else {
            detail.push_str(&format!("; {companion} removed"));
        }
    }
    for companion in &column.companion_removes {
        detail.push_str(&format!("; {companion} removed"));
    }
    detail
}

/// Journal rows for an executed plan: created, updated (or deprecated, when the
/// flag is newly set), merged, repointed / cleared (per column and model) and deleted.
/// `columns` (by reference index) give the companion keys rewritten with a JSON id.
pub(super) fn for_plan(
    plan: &Plan,
    columns: &[Option<RefColumn>],
    targets: &Targets,
) -> Vec<Event> {
    let mut events = Vec::new();
    for create in &plan.creates {
        events.push(Event {
            action: "created",
            provider: create.model.provider.clone(),
            name: create.model.name.clone(),
            model_id: targets.get(&create.model).copied(),
            detail: Some(format!("token limit {}", create.token_limit)),
            ..Event::default()
        });
    }
    for update in &plan.updates {
        let mut changes = Vec::new();
        if let Some(change) = update.token_limit {
            changes.push(format!("token limit {} -> {}", change.from, change.to));
        }
        if let Some(change) = update.deprecated {
            changes.push(format!("deprecated {} -> {}", change.from, change.to));
        }
        let newly_deprecated = update.deprecated.is_some_and(|change| change.to);
        events.push(Event {
            action: if newly_deprecated {
                "deprecated"
            } else {
                "updated"
            },
            provider: update.model.provider.clone(),
            name: update.model.name.clone(),
            model_id: Some(update.id),
            detail: Some(changes.join("; ")),
            ..Event::default()
        });
    }
    for merge in &plan.merges {
        events.push(Event {
            action: "merged",
            provider: merge.model.provider.clone(),
            name: merge.model.name.clone(),
            model_id: Some(merge.id),
            team_id: merge.team_id,
            target_id: targets.get(&merge.model).copied(),
            detail: merge
                .team_id
                .is_none()
                .then(|| "duplicate global row".to_owned()),
            target_provider: Some(merge.model.provider.clone()),
            target_name: Some(merge.model.name.clone()),
            ..Event::default()
        });
    }
    for update in &plan.reference_updates {
        events.push(reference_event(update, columns, targets));
    }
    for deletion in &plan.deletions {
        events.push(Event {
            action: "deleted",
            provider: deletion.model.provider.clone(),
            name: deletion.model.name.clone(),
            model_id: Some(deletion.id),
            target_id: deletion
                .replacement
                .as_ref()
                .and_then(|to| targets.get(to).copied()),
            target_provider: deletion.replacement.as_ref().map(|to| to.provider.clone()),
            target_name: deletion.replacement.as_ref().map(|to| to.name.clone()),
            ..Event::default()
        });
    }
    events
}

/// The journal row of `update`: `repointed` or `cleared`, per column and model.
pub(super) fn reference_event(
    update: &ReferenceUpdate,
    columns: &[Option<RefColumn>],
    targets: &Targets,
) -> Event {
    Event {
        action: if update.to.is_some() {
            "repointed"
        } else {
            "cleared"
        },
        provider: update.from.provider.clone(),
        name: update.from.name.clone(),
        model_id: update.from_id,
        team_id: if update.reason == Reason::Merge {
            update.from_team
        } else {
            None
        },
        target_id: update.to.as_ref().and_then(|to| targets.get(to).copied()),
        target_provider: update.to.as_ref().map(|to| to.provider.clone()),
        target_name: update.to.as_ref().map(|to| to.name.clone()),
        table_name: Some(update.table.clone()),
        column_name: Some(update.column.clone()),
        row_count: Some(i64::try_from(update.rows).unwrap_or(i64::MAX)),
        detail: update.key.as_ref().map(|key| {
            let column = columns.get(update.reference).and_then(Option::as_ref);
            json_detail(key, column, update.to.is_some())
        }),
    }
}
