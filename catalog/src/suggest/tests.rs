use super::*;

#[test]
fn closest_ranks_by_distance_and_keeps_order_on_ties() {
    let candidates = ["default", "deprecated", "deleted_on", "replacement"];
    assert_eq!(closest("deprecate", candidates, 3), vec!["deprecated"]);
    assert_eq!(
        closest("tokn_limit", ["name", "token_limit"], 3),
        vec!["token_limit"]
    );
    assert_eq!(closest("ab", ["ac", "ad", "zz"], 5), vec!["ac", "ad"]);
    assert_eq!(closest("ab", ["ad", "ac"], 1), vec!["ad"]);
}

#[test]
fn closest_has_a_cutoff() {
    assert!(closest("completely-different", ["gpt-4.1", "o3"], 3).is_empty());
    assert!(closest("", ["name"], 3).is_empty());
}

#[test]
fn closest_matches_case_insensitively_and_by_containment() {
    assert_eq!(closest("GPT-4.1", ["gpt-4.1", "gpt-5"], 1), vec!["gpt-4.1"]);
    assert_eq!(
        closest(
            "openai/gpt-4-turbo",
            ["openai/gpt-4", "anthropic/claude-2.0"],
            3
        ),
        vec!["openai/gpt-4"]
    );
}

#[test]
fn did_you_mean_phrasing() {
    assert_eq!(
        did_you_mean("deprecate", ["deprecated"]).as_deref(),
        Some("did you mean `deprecated`?")
    );
    assert_eq!(
        did_you_mean("ab", ["ac", "ad"]).as_deref(),
        Some("did you mean `ac` or `ad`?")
    );
    assert_eq!(did_you_mean("zzzzzz", ["name"]), None);
}
