import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import type { PruningDescription } from '../../../src/commands/pruneCommands';
import type { ExportResult } from '../../../src/commands/exportCommand';
import type { StepDecision } from '../../../src/core/prune/run';
import type { PrunePlan } from '../../../src/core/prune';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import { makeRecord } from '../../../bench/pruneFixture';

const EXTENSION_ID = 'reasoning-lens.reasoning-lens';
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const describePruning = () => vscode.commands.executeCommand<PruningDescription>(CommandIds.describePruning);

async function until(ok: (d: PruningDescription) => boolean, what: string, timeoutMs = 20_000): Promise<PruningDescription> {
  const deadline = Date.now() + timeoutMs;
  let last: PruningDescription | undefined;
  while (Date.now() < deadline) {
    last = await describePruning();
    if (last && ok(last)) return last;
    await sleep(100);
  }
  assert.fail(`${what}: pruning state is ${JSON.stringify(last && { ...last, plan: last.plan && { method: last.plan.method, kept: last.plan.kept.length, dropped: last.plan.dropped.length } })}`);
}

async function open(path: string): Promise<PruningDescription> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  await vscode.window.showTextDocument(doc, { preview: false });
  return until((d) => d.active && d.file === vscode.Uri.file(path).toString(), `${path} becomes the active trace`);
}

describe('Pruning commands', () => {
  let scratch = '';
  let chat = '';
  let markdown = '';

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    await ext.activate();
    scratch = mkdtempSync(join(tmpdir(), 'rl-prune-it-'));
    // A chat.completion with token logprobs: scores come from the file, no model needed.
    chat = join(scratch, 'chat.json');
    writeFileSync(chat, JSON.stringify(makeRecord(3, 400), null, 2));
    markdown = join(scratch, 'response.md');
    copyFileSync(vscode.Uri.joinPath(ext.extensionUri, 'media', 'samples', 'codeforces-r1-cot-174', 'response.md').fsPath, markdown);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('Set Budget, Prune with (asap), Why Was This Step Dropped?, Undo, Redo, Reset: plan and undo stack follow; the file never changes', async () => {
    const before = sha256(chat);
    await open(chat);
    await vscode.commands.executeCommand(CommandIds.setBudget, '70%');
    const budgeted = await describePruning();
    assert.equal(budgeted.budget, '70%');
    // Set Budget re-prunes the open trace at once, as one undoable step.
    assert.ok(budgeted.plan!.dropped.length > 0 && /70%/.test(budgeted.undoLabel ?? ''), 'Set Budget did not re-prune the trace');
    await vscode.commands.executeCommand(CommandIds.undoPruning);
    assert.equal((await describePruning()).plan!.dropped.length, 0);
    // An invalid budget is refused (the command reports it) and leaves the stored one alone.
    assert.equal(await vscode.commands.executeCommand(CommandIds.setBudget, '170'), undefined);
    assert.equal((await describePruning()).budget, '70%');

    const plan = await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'asap');
    assert.ok(plan && plan.dropped.length > 0, 'ASAP dropped steps');
    assert.ok(plan.budget && plan.budget.met && plan.budget.after <= plan.budget.target);
    assert.equal(plan.budget.target, Math.floor(0.7 * plan.budget.before));
    let d = await until((x) => x.plan?.method === 'asap', 'the plan is applied');
    assert.equal(d.method, 'asap');
    assert.deepEqual(d.plan!.kept, plan.kept);
    assert.equal(d.canUndo, true);
    assert.match(d.undoLabel ?? '', /ASAP.*70%/);
    assert.ok(d.tokens && d.tokens.after < d.tokens.before && !d.tokens.estimated, 'token counts come from the file\'s tokens');

    const droppedIndex = plan.dropped[0]!.index;
    const why = await vscode.commands.executeCommand<StepDecision>(CommandIds.whyDropped, droppedIndex);
    assert.equal(why.kept, false);
    assert.match(why.summary, new RegExp(`Step ${droppedIndex + 1} was dropped by ASAP`));
    assert.ok(why.details.some((l) => l.startsWith('firstTokenSurprisal = ')));
    const keptWhy = await vscode.commands.executeCommand<StepDecision>(CommandIds.whyDropped, plan.kept[0]);
    assert.equal(keptWhy.kept, true);

    await vscode.commands.executeCommand(CommandIds.undoPruning);
    d = await describePruning();
    assert.equal(d.plan!.dropped.length, 0, 'undo restores the original');
    assert.equal(d.canRedo, true);
    await vscode.commands.executeCommand(CommandIds.redoPruning);
    d = await describePruning();
    assert.deepEqual(d.plan!.kept, plan.kept, 'redo re-applies the plan');
    assert.equal(d.canRedo, false);

    await vscode.commands.executeCommand(CommandIds.resetPruning);
    d = await describePruning();
    assert.equal(d.plan!.dropped.length, 0);
    assert.equal(d.undoLabel, 'reset');
    await vscode.commands.executeCommand(CommandIds.undoPruning);
    assert.deepEqual((await describePruning()).plan!.kept, plan.kept, 'reset is undoable');
    assert.equal(sha256(chat), before, 'the trace file changed on disk');
  });

  it('entropy and confidence, dangling-reference check with "keep the source step", and a plan that survives reopening', async () => {
    const before = sha256(chat);
    await open(chat);
    const entropy = await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'entropy', '50%');
    assert.ok(entropy.dropped.every((x) => x.reason.method === 'entropy'));
    assert.ok(entropy.dropped.length > 0);
    const refs = await vscode.commands.executeCommand<{ sourceStep: number }[]>(CommandIds.checkDangling, 'all');
    const d = await describePruning();
    for (const r of refs) assert.ok(d.plan!.kept.includes(r.sourceStep), `source step ${r.sourceStep} kept`);
    assert.equal(d.dangling.length, 0, 'no dangling references left after keeping the sources');
    if (refs.length) assert.match(d.undoLabel ?? '', /keep source step/);

    const confidence = await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'confidence');
    assert.equal(confidence.method, 'confidence');
    const applied = (await describePruning()).plan!;

    // Reopen: close the editor, force the session to be rebuilt (a settings round-trip drops every
    // cached session), open again: the plan comes back from workspace state.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await sleep(300);
    const config = vscode.workspace.getConfiguration('reasoningLens');
    await config.update('segmentation', 'sentence', vscode.ConfigurationTarget.Global);
    await config.update('segmentation', undefined, vscode.ConfigurationTarget.Global);
    const reopened = await open(chat);
    assert.deepEqual(reopened.plan!.kept, applied.kept, 'the plan was restored');
    assert.equal(reopened.plan!.method, 'confidence');
    assert.equal(sha256(chat), before);
  });

  it('Export Pruned Trace(s): same format and SFT; the source is refused; an existing file is not replaced without leave', async () => {
    const before = sha256(chat);
    await open(chat);
    const plan = await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'asap', '60%');
    const out = join(scratch, 'chat.pruned.json');
    const result = await vscode.commands.executeCommand<ExportResult>(CommandIds.exportPruned, { scope: 'trace', format: 'same', target: out });
    assert.ok(result && existsSync(out));
    const [orig] = (await readTraces(chat)).traces;
    const [back] = (await readTraces(out)).traces;
    // The session's steps (default segmentation); kept steps are written back joined by blank lines.
    const steps = segment(orig!.reasoning, 'auto').map((s) => s.text);
    assert.deepEqual(segment(back!.reasoning, 'paragraph').map((s) => s.text), plan.kept.map((i) => steps[i]));
    assert.equal(back!.answer, orig!.answer);

    const sft = join(scratch, 'chat.sft.jsonl');
    await vscode.commands.executeCommand(CommandIds.exportPruned, { scope: 'trace', format: 'sft', target: sft });
    const row = JSON.parse(readFileSync(sft, 'utf8').trim());
    assert.equal(row.messages[1].role, 'assistant');
    assert.ok(row.messages[1].content.startsWith('<think>\n'));

    // The source itself: refused (the command reports the error and returns nothing).
    const refused = await vscode.commands.executeCommand(CommandIds.exportPruned, { scope: 'trace', format: 'same', target: chat, overwrite: true });
    assert.equal(refused, undefined);
    assert.equal(sha256(chat), before, 'the source was overwritten');
    // Overwrite allowed when asked for.
    writeFileSync(out, 'old');
    await vscode.commands.executeCommand(CommandIds.exportPruned, { scope: 'trace', format: 'same', target: out, overwrite: true });
    assert.notEqual(readFileSync(out, 'utf8'), 'old');
  });

  it('Export Pruned Trace(s) of a whole JSONL dataset: every record pruned with the stored method and budget', async () => {
    const data = join(scratch, 'dataset.jsonl');
    writeFileSync(data, [0, 1, 2, 3, 4].map((i) => JSON.stringify(makeRecord(10 + i, 250))).join('\n') + '\n');
    const before = sha256(data);
    await open(data);
    await vscode.commands.executeCommand(CommandIds.pruneWith, 'asap', '50%');
    const out = join(scratch, 'dataset.pruned.jsonl');
    const result = await vscode.commands.executeCommand<ExportResult>(CommandIds.exportPruned, { scope: 'dataset', format: 'same', target: out });
    assert.ok(result, 'exported');
    assert.equal(result.totals.records, 5);
    assert.equal(result.totals.pruned, 5);
    assert.ok(result.totals.tokensAfter <= result.totals.tokensBefore * 0.5 + 5, JSON.stringify(result.totals));
    const orig = (await readTraces(data)).traces;
    const back = (await readTraces(out)).traces;
    assert.equal(back.length, 5);
    back.forEach((t, i) => assert.ok(t.reasoning.length < orig[i]!.reasoning.length * 0.7, `record ${i} pruned`));
    assert.equal(sha256(data), before);
  });

  it('asap-iterative re-scores with the embedded model after every removal', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    if (!existsSync(vscode.Uri.joinPath(ext.extensionUri, 'media', 'models', 'reasoning-lens-tiny', 'onnx').fsPath)) this.skip();
    this.timeout(120_000);
    await open(chat);
    const plan = await vscode.commands.executeCommand<PrunePlan | undefined>(CommandIds.pruneWith, 'asap-iterative', '80%');
    assert.ok(plan, 'the model method ran (see the Reasoning Lens log if not)');
    assert.equal(plan.method, 'asap-iterative');
    assert.ok(plan.dropped.length > 0 && plan.budget?.met);
    assert.ok(plan.dropped.every((d) => d.reason.method === 'asap-iterative' && /re-scoring/.test(d.reason.rule)));
    assert.equal((await describePruning()).plan!.method, 'asap-iterative');
  });

  it('anchor and confidence on a real markdown trace without scores; commands explain when no trace is active', async () => {
    const before = sha256(markdown);
    await open(markdown);
    const anchor = await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'anchor');
    assert.equal(anchor.method, 'anchor');
    assert.ok(anchor.kept.length > 0 && anchor.dropped.length > 0, 'the write-up matches some steps, not all');
    const confidence = await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'confidence');
    assert.equal(confidence.method, 'confidence');
    assert.equal((await describePruning()).plan!.method, 'confidence');
    assert.equal(sha256(markdown), before);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await sleep(300);
    const none = await vscode.commands.executeCommand(CommandIds.pruneWith, 'asap');
    // Focus may stay on the last trace session (the panel keeps it); when none is active nothing runs.
    if (!(await describePruning()).active) assert.equal(none, undefined);
  });
});
