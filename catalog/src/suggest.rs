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

/// `did you mean `a`?` / `did you mean `a` or `b`?`, or `None` when nothing is close.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let found = closest(input, candidates, 3);
    let quoted: Vec<String> = found.iter().map(|c| format!("`{c}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

#[cfg(test)]
mod tests;
