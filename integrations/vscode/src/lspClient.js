// A minimal Language Server Protocol client over a child process's stdio:
// Content-Length framing, requests with ids, notifications, and handlers for
// the server's notifications. Plain Node (no npm package, no `vscode`), so
// that it runs under VS Code and under Node in the tests
// (integrations/vscode/test/protocol.js, run by Tests/RockyCLITests/LSPTests.swift).
'use strict';

const { spawn } = require('child_process');

class LspClient {
  /**
   * @param {string} command the rocky binary
   * @param {string[]} args e.g. ['lsp']
   * @param {{cwd?: string, env?: object}} options
   */
  constructor(command, args, options = {}) {
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.buffer = Buffer.alloc(0);
    this.exited = new Promise((resolve) => {
      this.process = spawn(command, args, { cwd: options.cwd, env: options.env || process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      this.process.on('exit', (code) => {
        for (const { reject } of this.pending.values()) reject(new Error(`rocky lsp exited (${code})`));
        this.pending.clear();
        resolve(code);
      });
      this.process.on('error', (error) => {
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        resolve(-1);
      });
    });
    this.process.stdout.on('data', (chunk) => this.receive(chunk));
    this.process.stderr.on('data', (chunk) => { if (this.onLog) this.onLog(chunk.toString()); });
  }

  /** Calls `handler(params)` for each server notification `method`. */
  onNotification(method, handler) {
    this.handlers.set(method, handler);
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method, params) {
    this.send({ jsonrpc: '2.0', method, params });
  }

  send(message) {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.process.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.process.stdin.write(body);
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const match = /content-length:\s*(\d+)/i.exec(header);
      if (!match) { this.buffer = this.buffer.subarray(headerEnd + 4); continue; }
      const length = Number(match[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      let message;
      try { message = JSON.parse(body); } catch (e) { continue; }
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.id !== undefined && message.id !== null && message.method === undefined) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) {
        const error = new Error(message.error.message);
        error.code = message.error.code;
        waiting.reject(error);
      } else {
        waiting.resolve(message.result);
      }
    } else if (message.method !== undefined && message.id === undefined) {
      const handler = this.handlers.get(message.method);
      if (handler) handler(message.params);
    } else if (message.method !== undefined) {
      // A request from the server: none is expected; answer so it does not wait.
      this.send({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'not supported by this client' } });
    }
  }

  /** shutdown, then exit; resolves with the server's exit code. */
  async stop() {
    try { await this.request('shutdown', null); } catch (e) { /* already gone */ }
    this.notify('exit', null);
    this.process.stdin.end();
    return this.exited;
  }
}

module.exports = { LspClient };
