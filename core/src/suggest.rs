//! "Did you mean ...?": the closest known name to a misspelt one.

/// Edit distance between two strings, in chars: insertions, deletions, substitutions and swaps of
/// two neighbours (optimal string alignment), so `prot` is one edit from `port`.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a likely typo: at most a third of
/// the word's length in edits (at least one), and not a wholesale replacement (fewer edits than the
/// longer of the two has chars); case is ignored in `word`. Ties go to the first name in
/// alphabetical order.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    if len > 64 {
        return None;
    }
    let lower = word.to_lowercase();
    let limit = (len / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&lower, c), c))
        .filter(|(d, c)| *d <= limit && *d < len.max(c.chars().count()))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` for the closest candidate, or nothing: the tail of a message.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_near_names_only() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(closest("biling", ["billing", "catalog"]), Some("billing"));
        assert_eq!(closest("xyz", ["billing", "catalog"]), None);
        assert_eq!(closest("prt", ["port", "host"]), Some("port"));
        assert_eq!(closest("prot", ["port", "host"]), Some("port"));
        assert_eq!(closest("memroy", ["memory", "timeout"]), Some("memory"));
        assert_eq!(closest("a", ["b"]), None);
        assert_eq!(closest("bb", ["a", "b"]), Some("b"));
        assert_eq!(did_you_mean("biling", ["billing"]), "; did you mean `billing`?");
        assert_eq!(did_you_mean("zzz", ["billing"]), "");
    }
}
