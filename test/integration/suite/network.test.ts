import * as assert from 'node:assert/strict';
// import-equals gives the real (mutable) module objects; a bundled `import * as` namespace is read-only.
import net = require('node:net');
import tls = require('node:tls');
import http = require('node:http');
import https = require('node:https');
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';

/**
 * With no endpoint configured the extension must open no network connection, even while it scores a
 * trace with the local model. The extension host is this same process, so the test wraps every
 * client entry point (sockets, TLS, http(s), fetch) and records the calls whose stack passes through
 * the extension's bundle. Other extensions' traffic (gallery, GitHub auth) is not ours and is ignored.
 */
describe('network: no endpoint, no connection', () => {
  const ours: string[] = [];
  const restore: (() => void)[] = [];

  function wrap<T extends object, K extends keyof T>(target: T, key: K, label: string): void {
    const original = target[key] as unknown as (...args: unknown[]) => unknown;
    (target as Record<K, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
      const stack = new Error().stack ?? '';
      if (/[\\/]out[\\/](extension|onnxWorker)\.js/.test(stack)) ours.push(`${label}: ${stack.split('\n').slice(2, 5).join(' | ')}`);
      return original.apply(this, args);
    };
    restore.push(() => { (target as Record<K, unknown>)[key] = original; });
  }

  before(() => {
    wrap(net.Socket.prototype, 'connect', 'net.Socket.connect');
    wrap(tls, 'connect', 'tls.connect');
    wrap(http, 'request', 'http.request');
    wrap(https, 'request', 'https.request');
    wrap(globalThis, 'fetch', 'fetch');
  });
  after(() => { for (const r of restore.reverse()) r(); });

  it('opens traces and scores one with the embedded model without any connection', async function () {
    this.timeout(120_000);
    const config = vscode.workspace.getConfiguration('reasoningLens');
    assert.deepEqual(config.get('endpoints'), [], 'this test assumes no endpoint is configured');
    assert.equal(config.get('backend'), 'local');
    await vscode.commands.executeCommand(CommandIds.openSample, 'openrouter-r1-variant-2.json');
    await vscode.commands.executeCommand(CommandIds.openSample, 'codeforces-r1-cot-174/response.md');
    const scored = await vscode.commands.executeCommand<boolean>(CommandIds.scoreTrace);
    assert.equal(scored, true, 'scoring with the embedded model did not complete');
    assert.deepEqual(ours, [], `the extension opened connections:\n${ours.join('\n')}`);
  });
});
