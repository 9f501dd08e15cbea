import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import type { ViewDescription, WebviewRequest } from '../../../src/shared/protocol';
import { METRIC_INFO, type StepMetric } from '../../../src/shared/vocabulary';

const SAMPLE = 'codeforces-r1-cot-174/response.md';

async function describePanel(until: (v: ViewDescription) => boolean, what: string): Promise<ViewDescription> {
  let view: ViewDescription | undefined;
  const deadline = Date.now() + 20_000;
  do {
    view = await vscode.commands.executeCommand<ViewDescription>(CommandIds.describePanel);
    if (view && until(view)) return view;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < deadline);
  assert.fail(`the panel never showed ${what}; last description: ${JSON.stringify(view)}`);
}

const panelRequest = (request: WebviewRequest) => vscode.commands.executeCommand(CommandIds.panelRequest, request);

/** The editor's metric and status bar text (what the user reads at the bottom of the window). */
async function editorMetric(): Promise<{ metric: StepMetric; status: string }> {
  const d = await vscode.commands.executeCommand<{ metric: StepMetric; statusBar: { text: string } }>(CommandIds.describeEditor);
  return { metric: d!.metric, status: d!.statusBar.text };
}

describe('Side panel', () => {
  let path: string;
  let expected: { steps: { start: number; end: number; text: string }[]; reasoning: string };

  before(async () => {
    const ext = vscode.extensions.getExtension('reasoning-lens.reasoning-lens');
    await ext?.activate();
    path = vscode.Uri.joinPath(ext!.extensionUri, 'media', 'samples', ...SAMPLE.split('/')).fsPath;
    const { traces } = await readTraces(path);
    expected = { steps: segment(traces[0]!.reasoning, 'auto'), reasoning: traces[0]!.reasoning };
  });

  beforeEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand(CommandIds.openSample, SAMPLE);
  });

  it('receives the state of the sample: steps, totals and one chart bar per step', async () => {
    const n = expected.steps.length;
    const view = await describePanel((v) => v.steps === n && v.kept === n, `${n} steps, all kept`);
    assert.equal(view.bars, n);
    assert.ok((view.tokensBefore ?? 0) > 0);
    assert.equal(view.tokensAfter, view.tokensBefore, 'nothing pruned yet');
    assert.ok(typeof view.lastUpdateMs === 'number', 'the panel measures its updates');
  });

  it('shows the budget and method chosen from the palette, and the slider stores its own', async () => {
    await vscode.commands.executeCommand(CommandIds.setBudget, '55%');
    await describePanel((v) => v.budgetPercent === 55, 'the slider at 55% after "Set Budget…"');
    await vscode.commands.executeCommand(CommandIds.panelRequest, { kind: 'applyBudget', method: 'entropy', budget: 0.7 });
    const stored = await vscode.commands.executeCommand<{ method: string; budget: string }>(CommandIds.describePruning);
    assert.equal(stored?.method, 'entropy');
    assert.match(stored?.budget ?? '', /\b70\s*%/);
    await describePanel((v) => v.budgetPercent === 70 && v.method === 'entropy', 'the panel follows the stored choice');
    await vscode.commands.executeCommand(CommandIds.setBudget, '80%');
  });

  it('a revealStep request selects the step in the editor', async () => {
    await describePanel((v) => v.steps === expected.steps.length, 'the sample');
    const index = 2;
    await panelRequest({ kind: 'revealStep', index });
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'no active editor after revealStep');
    assert.equal(editor.document.uri.fsPath, path);
    const selected = editor.document.getText(editor.selection);
    assert.equal(selected, expected.steps[index]!.text);
    assert.notEqual(editor.selection.start.line, 0);
  });

  it('dropping a step updates the totals; undo restores; compare shows the pruned text', async () => {
    const n = expected.steps.length;
    const before = await describePanel((v) => v.steps === n, 'the sample');
    await panelRequest({ kind: 'command', command: 'reset' });
    await describePanel((v) => v.kept === n, 'all steps kept after reset');
    await panelRequest({ kind: 'toggleStep', index: 1 });
    const after = await describePanel((v) => v.kept === n - 1, 'one step dropped');
    assert.ok((after.tokensAfter ?? 0) < (before.tokensBefore ?? 0));

    await vscode.commands.executeCommand(CommandIds.compareOriginalPruned);
    const deadline = Date.now() + 10_000;
    let pruned: vscode.TextDocument | undefined;
    while (!pruned && Date.now() < deadline) {
      pruned = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'reasoning-lens-compare' && d.uri.path.startsWith('/pruned/'));
      if (!pruned) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(pruned, 'the diff editor did not open the pruned document');
    // What export writes: step 2 cut out with the separator after it, everything else byte for byte.
    const cut = expected.reasoning.slice(0, expected.steps[1]!.start) + expected.reasoning.slice(expected.steps[2]!.start);
    assert.equal(pruned.getText(), cut);
    const original = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'reasoning-lens-compare' && d.uri.path.startsWith('/original/'));
    assert.equal(original?.getText(), expected.reasoning);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand(CommandIds.openSample, SAMPLE);
    await panelRequest({ kind: 'command', command: 'undo' });
    await describePanel((v) => v.kept === n, 'all steps kept after undo');
  });

  it('the segmentation control writes the setting and the panel re-segments', async () => {
    const config = () => vscode.workspace.getConfiguration('reasoningLens');
    const sentences = segment(expected.reasoning, 'sentence').length;
    assert.notEqual(sentences, expected.steps.length, 'the sample must segment differently by sentence');
    try {
      await panelRequest({ kind: 'setSegmentation', segmentation: 'sentence' });
      assert.equal(config().get('segmentation'), 'sentence');
      await describePanel((v) => v.steps === sentences && v.bars === sentences, `${sentences} sentence steps`);
    } finally {
      await panelRequest({ kind: 'setSegmentation', segmentation: 'auto' });
    }
    await describePanel((v) => v.steps === expected.steps.length, 'auto (default) steps again');
  });

  it('the metric select and the status bar name the same metric, whichever of them changes it', async () => {
    const start = (await editorMetric()).metric;
    try {
      // From the panel's select: the editor (heat map and status bar) follows.
      await panelRequest({ kind: 'setMetric', metric: 'meanSurprisal' });
      const editor = await editorMetric();
      assert.equal(editor.metric, 'meanSurprisal');
      assert.ok(editor.status.includes(METRIC_INFO.meanSurprisal.label), `status bar: ${editor.status}`);
      await describePanel((v) => v.metric === 'meanSurprisal', 'the select on mean surprisal');
      // From the palette ("Colour Steps By…"): the panel's select follows.
      await vscode.commands.executeCommand(CommandIds.switchMetric, 'stepEntropy');
      await describePanel((v) => v.metric === 'stepEntropy', 'the select on step entropy after "Colour Steps By…"');
      assert.ok((await editorMetric()).status.includes(METRIC_INFO.stepEntropy.label));
    } finally {
      await vscode.commands.executeCommand(CommandIds.switchMetric, start);
    }
    await describePanel((v) => v.metric === start, `the select back on ${start}`);
  });

  it('Compare keeps the panel on the trace it came from, and the panel still acts on it', async () => {
    const n = expected.steps.length;
    await panelRequest({ kind: 'command', command: 'reset' });
    await describePanel((v) => v.kept === n && /response\.md/.test(v.title), 'the sample, all kept');
    await panelRequest({ kind: 'toggleStep', index: 0 });
    await describePanel((v) => v.kept === n - 1, 'one step dropped');
    await vscode.commands.executeCommand(CommandIds.compareOriginalPruned);
    const deadline = Date.now() + 10_000;
    while (vscode.window.activeTextEditor?.document.uri.scheme !== 'reasoning-lens-compare' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, 'reasoning-lens-compare', 'the diff editor is not active');
    // Give a wrong switch the time it would take, then check the panel still shows the source trace.
    await new Promise((r) => setTimeout(r, 500));
    const view = await describePanel((v) => v.steps !== null, 'a trace');
    assert.match(view.title, /response\.md/, 'the panel switched away from the trace Compare came from');
    assert.equal(view.steps, n, 'the panel re-read the pruned text as a new trace');
    assert.equal(view.kept, n - 1);
    // Requests from the panel act on the source trace, and the open diff follows.
    await panelRequest({ kind: 'toggleStep', index: 0 });
    await describePanel((v) => v.kept === n, 'the step kept again, from the panel, with the diff editor active');
    const pruned = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'reasoning-lens-compare' && d.uri.path.startsWith('/pruned/'));
    const allKept = expected.reasoning;
    const until = Date.now() + 5_000;
    while (pruned && pruned.getText() !== allKept && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pruned?.getText(), allKept, 'the open diff did not follow the plan');
  });
});
