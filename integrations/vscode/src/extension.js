// The VS Code extension: starts `rocky lsp` for the workspace and connects
// VS Code's diagnostics, hover, completion, signature help, definition,
// references, code lenses and outline to it
// through src/lspClient.js. Uses only the `vscode` API (no npm package).
'use strict';

const vscode = require('vscode');
const { LspClient } = require('./lspClient');

let client;
let diagnostics;
let output;

function settings() {
  const config = vscode.workspace.getConfiguration('rocky');
  return { path: config.get('path') || 'rocky', environment: config.get('environment') || '', engine: config.get('engine') || '' };
}

const toRange = (r) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
const position = (document, p) => ({ textDocument: { uri: document.uri.toString() }, position: { line: p.line, character: p.character } });
const isRockySQL = (document) => document.languageId === 'rocky-sql' || document.languageId === 'sql';

async function start(context) {
  const { path, environment, engine } = settings();
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const args = (engine ? ['--engine', engine] : []).concat(['lsp']);
  client = new LspClient(path, args, { cwd: folder ? folder.uri.fsPath : undefined });
  client.onLog = (text) => output.append(text);
  client.onNotification('textDocument/publishDiagnostics', (params) => {
    const uri = vscode.Uri.parse(params.uri);
    diagnostics.set(uri, params.diagnostics.map((d) => {
      const item = new vscode.Diagnostic(toRange(d.range), d.message,
        d.severity === 1 ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      item.code = d.code;
      item.source = 'rocky';
      return item;
    }));
  });
  await client.request('initialize', {
    processId: process.pid,
    rootUri: folder ? folder.uri.toString() : null,
    capabilities: {},
    initializationOptions: environment ? { environment } : {},
  });
  client.notify('initialized', {});
  for (const document of vscode.workspace.textDocuments) open(document);
}

function open(document) {
  if (!client || !isRockySQL(document)) return;
  client.notify('textDocument/didOpen', {
    textDocument: { uri: document.uri.toString(), languageId: 'rocky-sql', version: document.version, text: document.getText() },
  });
}

async function activate(context) {
  output = vscode.window.createOutputChannel('Rocky');
  diagnostics = vscode.languages.createDiagnosticCollection('rocky');
  context.subscriptions.push(output, diagnostics);
  const selector = [{ language: 'rocky-sql' }, { language: 'sql', scheme: 'file' }];
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(open),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (!client || !isRockySQL(event.document)) return;
      client.notify('textDocument/didChange', {
        textDocument: { uri: event.document.uri.toString(), version: event.document.version },
        contentChanges: [{ text: event.document.getText() }],
      });
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (client && isRockySQL(document)) client.notify('textDocument/didClose', { textDocument: { uri: document.uri.toString() } });
    }),
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(document, p) {
        const result = client && await client.request('textDocument/hover', position(document, p));
        return result ? new vscode.Hover(new vscode.MarkdownString(result.contents.value)) : null;
      },
    }),
    vscode.languages.registerCompletionItemProvider(selector, {
      async provideCompletionItems(document, p) {
        const result = client && await client.request('textDocument/completion', position(document, p));
        const kinds = { 3: vscode.CompletionItemKind.Function, 5: vscode.CompletionItemKind.Field,
          7: vscode.CompletionItemKind.Class, 14: vscode.CompletionItemKind.Keyword };
        return (result ? result.items : []).map((item) => {
          const completion = new vscode.CompletionItem(item.label, kinds[item.kind]);
          completion.detail = item.detail;
          return completion;
        });
      },
    }, '.'),
    vscode.languages.registerDefinitionProvider(selector, {
      async provideDefinition(document, p) {
        const result = client && await client.request('textDocument/definition', position(document, p));
        return result ? new vscode.Location(vscode.Uri.parse(result.uri), toRange(result.range)) : null;
      },
    }),
    vscode.languages.registerSignatureHelpProvider(selector, {
      async provideSignatureHelp(document, p) {
        const result = client && await client.request('textDocument/signatureHelp', position(document, p));
        if (!result) return null;
        const help = new vscode.SignatureHelp();
        help.signatures = result.signatures.map((s) => {
          const signature = new vscode.SignatureInformation(s.label, s.documentation);
          signature.parameters = s.parameters.map((q) => new vscode.ParameterInformation(q.label));
          return signature;
        });
        help.activeSignature = result.activeSignature;
        help.activeParameter = result.activeParameter;
        return help;
      },
    }, '(', ','),
    vscode.languages.registerReferenceProvider(selector, {
      async provideReferences(document, p, context) {
        const params = Object.assign(position(document, p), { context: { includeDeclaration: context.includeDeclaration } });
        const result = client && await client.request('textDocument/references', params);
        return (result || []).map((l) => new vscode.Location(vscode.Uri.parse(l.uri), toRange(l.range)));
      },
    }),
    vscode.languages.registerCodeLensProvider(selector, {
      async provideCodeLenses(document) {
        const result = client && await client.request('textDocument/codeLens', { textDocument: { uri: document.uri.toString() } });
        return (result || []).map((l) => new vscode.CodeLens(toRange(l.range), { title: l.command.title, command: '' }));
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(selector, {
      async provideDocumentSymbols(document) {
        const result = client && await client.request('textDocument/documentSymbol', { textDocument: { uri: document.uri.toString() } });
        const convert = (s) => {
          const symbol = new vscode.DocumentSymbol(s.name, '', s.kind - 1, toRange(s.range), toRange(s.selectionRange));
          symbol.children = (s.children || []).map(convert);
          return symbol;
        };
        return (result || []).map(convert);
      },
    }),
    vscode.commands.registerCommand('rocky.showLineage', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const word = editor.document.getText(editor.document.getWordRangeAtPosition(editor.selection.active, /[\w.]+/));
      const { path } = settings();
      const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
      const { execFile } = require('child_process');
      const env = settings().environment;
      execFile(path, (env ? ['--env', env] : []).concat(['lineage', word]), { cwd: folder ? folder.uri.fsPath : undefined },
        (error, stdout, stderr) => {
          output.appendLine(stdout || stderr || String(error));
          output.show(true);
        });
    }),
    vscode.commands.registerCommand('rocky.restart', async () => {
      if (client) await client.stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('rocky')) {
        if (client) await client.stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
