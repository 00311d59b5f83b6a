// The house rules inside a room that a reader notices first: no function so long that it needs
// banners to be read (docs/ARCHITECTURE.md, "Inside a room"), a comment on top of every source
// file saying why it exists, and one file-naming style. Plain functions over the file map
// readTree() gives, so the test can also run them on planted files.
import ts from 'typescript';

/** A source function's length is counted from its first line to its last, both included. */
export const MAX_FUNCTION_LINES = 200;

/** `file:line name (n lines)` for every function, method or arrow longer than `limit` lines. */
export function longFunctions(files: Map<string, string>, limit = MAX_FUNCTION_LINES): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (isFunction(node)) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = last - first + 1;
        if (lines > limit) out.push(`${file}:${first + 1} ${nameOf(node)} (${lines} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out.sort();
}

function isFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node)
  );
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '(anonymous)';
}

/** Lower-case words joined by hyphens; dots separate suffixes such as `.int.test`. */
const FILE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/;

/** Source files whose name is not kebab-case (Toxiproxy's `limit_data` toxic lives in `limit-data.ts`). */
export function badFileNames(files: Map<string, string>): string[] {
  return [...files.keys()].filter((file) => !FILE_NAME.test(file.split('/').pop() ?? '')).sort();
}

/** Source files that do not open (after a shebang) with a comment saying why they exist. */
export function missingHeaders(files: Map<string, string>): string[] {
  return [...files]
    .filter(([, text]) => !/^(?:#![^\n]*\n)?\s*(?:\/\/|\/\*)/.test(text))
    .map(([file]) => file)
    .sort();
}
