//! "Did you mean …?" suggestions by edit distance.

/// Up to `max` candidates closest to `input`, best first.
///
/// Distance is the optimal string alignment distance (Levenshtein counting an
/// adjacent transposition as one edit, via `strsim`) between the lowercased
/// strings; a candidate qualifies when that distance is at most a third of the
/// longer string's length (one edit is always tolerated, but never a complete
/// rewrite), or when one string contains the other. Ties keep the candidates'
/// order; duplicates are dropped.
pub fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<&'a str> {
    let wanted = input.to_lowercase();
    let mut scored: Vec<(usize, &'a str)> = Vec::new();
    for candidate in candidates {
        if scored.iter().any(|(_, seen)| *seen == candidate) {
            continue;
        }
        let lowered = candidate.to_lowercase();
        let distance = strsim::osa_distance(&wanted, &lowered);
        let longest = wanted.chars().count().max(lowered.chars().count());
        let cutoff = (longest / 3).max(1);
        let contains = !wanted.is_empty()
            && !lowered.is_empty()
            && (lowered.contains(&wanted) || wanted.contains(&lowered));
        if (distance <= cutoff && distance < longest) || contains {
            scored.push((distance, candidate));
        }
    }
    scored.sort_by_key(|(distance, _)| *distance);
    scored
        .into_iter()
        .take(max)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// Up to `max` ids of live models closest to `id`, for the hint on an unknown
/// id: ids of models that are not deprecated come first (a deprecated model is
/// no better a choice than the id that was removed), then deprecated ones, each
/// group closest first.
pub fn closest_model_ids(catalog: &crate::Catalog, id: &str, max: usize) -> Vec<String> {
    let ids: Vec<(String, bool)> = catalog
        .models()
        .map(|(provider, model)| {
            (
                crate::naming::model_id(&provider.key, &model.name),
                model.deprecated,
            )
        })
        .collect();
    let found = closest(id, ids.iter().map(|(id, _)| id.as_str()), usize::MAX);
    let deprecated = |candidate: &str| ids.iter().any(|(id, flag)| *flag && id == candidate);
    let (live, old): (Vec<&str>, Vec<&str>) = found
        .into_iter()
        .partition(|candidate| !deprecated(candidate));
    live.into_iter()
        .chain(old)
        .take(max)
        .map(str::to_owned)
        .collect()
}

/// `did you mean `a` or `b`?` for a list of suggestions, `None` when it is empty.
pub fn did_you_mean_any<S: AsRef<str>>(found: &[S]) -> Option<String> {
    let quoted: Vec<String> = found.iter().map(|c| format!("`{}`", c.as_ref())).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

/// `did you mean `a`?` / `did you mean `a` or `b`?`, or `None` when nothing is close.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean_any(&closest(input, candidates, 3))
}

#[cfg(test)]
mod tests;
