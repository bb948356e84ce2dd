// Reads generated TypeScript clients with the TypeScript compiler itself (strict type check, nothing
// run): for each file its diagnostics, its top-level declarations (a statement that declares
// nothing is named by its kind), each class's members, and every string literal's value.
// argv: the `typescript` module's path, then the files. Prints `CWS-RESULT <json>`.
const ts = require(process.argv[2]);
const files = process.argv.slice(3);
const program = ts.createProgram(files, {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  types: [],
});
const out = {};
for (const f of files) {
  const sf = program.getSourceFile(f);
  const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  );
  const names = [];
  const members = {};
  for (const st of sf.statements) {
    const name = st.name ? st.name.text : `<${ts.SyntaxKind[st.kind]}>`;
    names.push(name);
    if (ts.isClassDeclaration(st)) {
      members[name] = st.members.map((m) => (m.name ? m.name.getText(sf) : `<${ts.SyntaxKind[m.kind]}>`));
    }
  }
  const strings = [];
  (function walk(n) {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) strings.push(n.text);
    ts.forEachChild(n, walk);
  })(sf);
  out[f] = { diagnostics, names, members, strings };
}
console.log("CWS-RESULT " + JSON.stringify(out));
