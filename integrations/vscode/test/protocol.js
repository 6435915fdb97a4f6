// Drives `rocky lsp` through the extension's client (src/lspClient.js) as the
// extension does: initialize with the environment setting, open a model,
// wait for its diagnostics, change it, hover, complete, go to definition,
// shut down. Prints one JSON document with what it got.
// usage: node test/protocol.js <rocky> <repo> <environment>
'use strict';

const path = require('path');
const { pathToFileURL } = require('url');
const { LspClient } = require('../src/lspClient');

async function main() {
  const [rocky, repo, environment] = process.argv.slice(2);
  const client = new LspClient(rocky, ['lsp'], { cwd: repo });
  const diagnostics = [];
  const waiters = [];
  client.onNotification('textDocument/publishDiagnostics', (params) => {
    diagnostics.push(params);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const next = () => new Promise((resolve) => waiters.push(resolve));
  const result = {};
  const init = await client.request('initialize', {
    processId: process.pid, rootUri: pathToFileURL(repo).href, capabilities: {},
    initializationOptions: { environment },
  });
  result.capabilities = init.capabilities;
  client.notify('initialized', {});
  const uri = pathToFileURL(path.join(repo, 'models', 'report.sql')).href;
  let published = next();
  client.notify('textDocument/didOpen', {
    textDocument: { uri, languageId: 'rocky-sql', version: 1, text: 'SELECT customer_id, nme FROM clean\n' },
  });
  await published;
  result.opened = diagnostics[diagnostics.length - 1];
  published = next();
  const text = 'SELECT c.customer_id, c.email\nFROM customers AS c JOIN clean ON clean.customer_id = c.customer_id\n';
  client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text }] });
  await published;
  result.changed = diagnostics[diagnostics.length - 1];
  const at = (line, character) => ({ textDocument: { uri }, position: { line, character } });
  result.hover = await client.request('textDocument/hover', at(0, 25));
  result.completion = await client.request('textDocument/completion', at(0, 24));
  result.definition = await client.request('textDocument/definition', at(1, 27));
  result.lineage = await client.request('rocky/lineage', at(0, 25));
  try {
    await client.request('rocky/nothing', {});
  } catch (error) {
    result.unknownMethod = error.code;
  }
  result.exitCode = await client.stop();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => { process.stderr.write(String(error && error.stack || error) + '\n'); process.exit(1); });
