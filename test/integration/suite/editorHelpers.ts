/**
 * What the editor's integration tests share: the workspace, the internal describe command's shape,
 * polling until the editor shows something, expected step ranges from the core alone, hovers,
 * lenses, symbols, synthetic traces with logprobs, and a setting changed for one test.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import type { Trace } from '../../../src/core/trace/types';
import type { Step } from '../../../src/core/types';
import type { AppliedDecorations, RangeTuple } from '../../../src/editor/decorations';
import type { StatusDescription } from '../../../src/editor/statusBar';
import type { AppliedTokenView } from '../../../src/editor/tokenView';
import type { DanglingDiagnosticsDescription } from '../../../src/editor/danglingDiagnostics';

export const EXTENSION_ID = 'reasoning-lens.reasoning-lens';
export const repoRoot = resolve(__dirname, '..', '..', '..');

export interface EditorDescription {
  uri: string;
  metric: string;
  traceActive: boolean;
  steps: number | null;
  kept: number[] | null;
  pinned: number[] | null;
  scored: boolean | null;
  scoreSource: string | null;
  decorations: AppliedDecorations | null;
  statusBar: StatusDescription;
  codeLens: { uri: string; lenses: number; at: number; durationMs: number; skipped?: string } | null;
  surprisingTokens: RangeTuple[];
  /** The metric the colours show (the chosen one, or its stand-in) and whether it is a stand-in. */
  shownMetric: string | null;
  fallback: boolean | null;
  tokenView: 'off' | 'surprisal' | 'rank';
  appliedTokenView: AppliedTokenView | null;
  /** A model is scoring the trace now (background or on demand). */
  scoring: boolean | null;
  hasRanks: boolean | null;
  dangling: DanglingDiagnosticsDescription['diagnostics'];
}

export const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function workspaceFile(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration workspace has no folder');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

export async function describeEditor(uri?: vscode.Uri): Promise<EditorDescription> {
  return (await vscode.commands.executeCommand<EditorDescription>(CommandIds.describeEditor, uri?.toString()))!;
}

/** Polls `describeEditor` until `ok` holds (decorations are applied on the next tick, scores may load async). */
export async function waitForEditor(uri: vscode.Uri, ok: (d: EditorDescription) => boolean, what: string, timeoutMs = 20_000): Promise<EditorDescription> {
  const deadline = Date.now() + timeoutMs;
  let last: EditorDescription | undefined;
  while (Date.now() < deadline) {
    last = await describeEditor(uri);
    if (ok(last)) return last;
    await sleep(25);
  }
  assert.fail(`${what}: timed out; last state ${JSON.stringify({ ...last, decorations: last?.decorations ? '…' : null })}`);
}

/** Step ranges computed from the core alone: where the reasoning sits in the document text, plus step offsets. */
export function expectedRanges(document: vscode.TextDocument, trace: Trace, steps: readonly Step[]): RangeTuple[] {
  const offset = document.getText().indexOf(trace.reasoning);
  assert.ok(offset >= 0, 'the document does not contain the reasoning verbatim');
  return steps.map((s) => {
    const a = document.positionAt(offset + s.start);
    const b = document.positionAt(offset + s.end);
    return [a.line, a.character, b.line, b.character];
  });
}

export const allHeat = (d: AppliedDecorations) => d.heat.flat();

/** A synthetic OpenAI chat completion with `<think>` reasoning and per-token logprobs (no model needed). */
export function syntheticCompletion(stepCount: number, wordsPerStep: number, options: { variedTokens?: boolean } = {}): { json: string; jsonWithoutLogprobs: string; firstTokenSurprisal: number[] } {
  const steps: string[] = [];
  for (let i = 0; i < stepCount; i++) {
    const words = [`Step${i}`];
    for (let j = 1; j < wordsPerStep; j++) words.push(`w${(i * 7 + j) % 13}`);
    steps.push(words.join(' '));
  }
  const content = `<think>\n${steps.join('\n\n')}\n</think>\n\nThe answer is 42.`;
  const tokens = content.match(/\s*\S+|\s+$/g) ?? [];
  // Each step's first token ("\n\nStepN") gets a distinct surprisal (37 is coprime with 100).
  const surprisalOf = (i: number) => ((i * 37) % 100) / 10;
  // With `variedTokens`, the other tokens' surprisal cycles through all five token-view buckets too
  // (the worst case for the token view: neighbours rarely share a colour).
  const other = (k: number) => (options.variedTokens ? -[0.05, 0.5, 1.8, 3.7, 7][(k * 7) % 5]! : -0.1);
  const lp = tokens.map((t, k) => {
    const m = /Step(\d+)/.exec(t);
    return { token: t, logprob: m ? -surprisalOf(Number(m[1])) : other(k), top_logprobs: [] };
  });
  const record = { object: 'chat.completion', model: 'synthetic', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: lp } }] };
  const bare = { ...record, choices: [{ ...record.choices[0]!, logprobs: null }] };
  return { json: JSON.stringify(record), jsonWithoutLogprobs: JSON.stringify(bare), firstTokenSurprisal: steps.map((_, i) => surprisalOf(i)) };
}

export async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position)) ?? [];
  const raw = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
  // appendText escapes spaces and markdown punctuation: compare the text a reader sees.
  return raw.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1');
}

export async function stepSymbols(uri: vscode.Uri): Promise<vscode.DocumentSymbol[]> {
  const roots = (await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri)) ?? [];
  const out: vscode.DocumentSymbol[] = [];
  const walk = (s: vscode.DocumentSymbol) => { if (/^Step \d+: /.test(s.name)) out.push(s); (s.children ?? []).forEach(walk); };
  roots.forEach(walk);
  return out;
}

export async function stepLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10_000)) ?? [];
  return lenses.filter((l) => l.command && [CommandIds.keepStep, CommandIds.dropStep, CommandIds.pinStep].includes(l.command.command as never));
}

/** Runs `body` with the user setting `reasoningLens.<key>` set to `value`, then puts back what was there. */
export async function withSetting<T>(key: string, value: unknown, body: () => Promise<T>): Promise<T> {
  const config = () => vscode.workspace.getConfiguration('reasoningLens');
  const before = config().inspect(key)?.globalValue;
  await config().update(key, value, vscode.ConfigurationTarget.Global);
  try {
    return await body();
  } finally {
    await config().update(key, before, vscode.ConfigurationTarget.Global);
  }
}
