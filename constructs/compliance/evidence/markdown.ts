/** Markdown helpers shared by the evidence pack's sections. */

/** Escapes a table cell (pipes and line breaks). */
export function cell(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A Markdown table; an empty list renders as "none". */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '_none_\n';
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n') + '\n';
}
