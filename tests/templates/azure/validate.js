// Validate Azure Pipelines YAML files with azure-pipelines-language-service (the engine of the
// Azure Pipelines VS Code extension) against a JSON schema file; print the diagnostics as JSON.
//
//   node validate.js SCHEMA.json FILE.yml [FILE.yml ...]
//
// Output: {"<file>": [{"severity": 1|2|3|4, "line": n, "character": n, "message": "..."}]}
// (severity 1 is an error, 2 a warning; lines and characters are 0-based). The service validates
// one file as written: it does not expand `extends:` or template expressions.
"use strict";

const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const service = require("azure-pipelines-language-service");
// The service re-exports vscode-languageserver-types, whose TextDocument it was written against.
const { TextDocument } = service;

// The service logs its schema look-ups with console.log: keep stdout for the report.
console.log = (...parts) => process.stderr.write(parts.join(" ") + "\n");

async function main(argv) {
  if (argv.length < 2) {
    process.stderr.write("usage: node validate.js SCHEMA.json FILE.yml [FILE.yml ...]\n");
    return 2;
  }
  const [schemaPath, ...files] = argv;
  const schemaUri = pathToFileURL(path.resolve(schemaPath)).href;
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  const requestSchema = (uri) => Promise.reject(new Error(`no schema is fetched here: ${uri}`));
  const languageService = service.getLanguageService(requestSchema, [], null);
  languageService.configure({ validate: true, schemas: [{ uri: schemaUri, fileMatch: ["*"], schema }] });
  const report = {};
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const uri = pathToFileURL(path.resolve(file)).href;
    const document = TextDocument.create(uri, "azure-pipelines", 1, text);
    const diagnostics = await languageService.doValidation(document, service.parse(text));
    report[file] = diagnostics.map((d) => ({
      severity: d.severity,
      line: d.range.start.line,
      character: d.range.start.character,
      message: d.message,
    }));
  }
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(2);
  },
);
