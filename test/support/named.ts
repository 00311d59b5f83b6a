// Test tables whose rows carry their own names. vitest prints `$name` quoted and cut at 40
// characters, so a table is handed to it.each as [name, row] pairs and titled '%s', which
// prints each row's full name: it.each(named([{ name: '…', … }]))('%s', (_name, row) => …).

/** Each row as [its name, the row], for it.each / describe.each titled '%s'. */
export function named<Row extends { name: string }>(rows: Row[]): [string, Row][] {
  return rows.map((row) => [row.name, row]);
}
