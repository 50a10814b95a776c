/**
 * "Did you mean ...?" for a misspelt setting name: the nearest valid name by edit distance.
 */

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbouring
 * characters as one edit (optimal string alignment, a restricted Damerau-Levenshtein distance),
 * so `netwrok` is one edit from `network`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate `name` was most likely meant to be, or undefined when none is close: case and
 * `_`/`-` are ignored, and a candidate is close when it is at most a third of its length
 * (at least 2) edits away, or when one name starts with the other (`backupRetention` for
 * `backupRetentionDays`). Ties go to the earlier candidate.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const n = norm(name);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const c = norm(candidate);
    const distance = editDistance(n, c);
    const close = distance <= Math.max(2, Math.floor(c.length / 3)) || (Math.min(n.length, c.length) >= 3 && (c.startsWith(n) || n.startsWith(c)));
    if (close && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
