/**
 * The editor in a new user's first hour, inside a real VS Code: colour on open (file logprobs, cache,
 * or the embedded model in the background, cancellable), a metric the trace lacks falls back and
 * says so, the legend in real colours, fewer CodeLens, the gutter menu, dangling references as
 * Problems with a quick fix, Set Budget re-pruning, the token view, loops, and settings written
 * where they belong. Expected values come from the core, independently of the extension's state.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import type { PruningDescription } from '../../../src/commands/pruneCommands';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import { tokenTableFromFile } from '../../../src/core/tokenTable';
import type { PrunePlan } from '../../../src/core/prune/plan';
import { colourTokens } from '../../../src/editor/tokenBuckets';
import { HEAT_COLOR_IDS, themeColourVariable } from '../../../src/shared/heat';
import {
  allHeat, describeEditor, EXTENSION_ID, expectedRanges, hoverText, repoRoot, sleep, stepLenses, waitForEditor, withSetting, workspaceFile,
} from './editorHelpers';
import { withWorkspaceSettings } from './workspaceSettings';

const hasModel = existsSync(join(repoRoot, 'media', 'models', 'reasoning-lens-tiny', 'onnx'));
const describePruning = async () => (await vscode.commands.executeCommand<PruningDescription>(CommandIds.describePruning))!;

/** A markdown trace no cache has seen (a nonce in its text), `paragraphs` paragraphs of plain reasoning. */
function uniqueTrace(name: string, paragraphs: number): vscode.Uri {
  const nonce = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const sentences = ['Let me add the two numbers first.', 'So 12 plus 30 is 42, which I will check.', 'Wait, maybe the carry matters here.', 'Then multiply by 3 to get 126.', 'Hmm, let me verify by dividing again.'];
  const body = Array.from({ length: paragraphs }, (_, i) => `${sentences[i % sentences.length]} Paragraph ${i} of run ${nonce}.`).join('\n\n');
  const file = workspaceFile(name);
  writeFileSync(file.fsPath, `What is (12 + 30) * 3?\n\n<think>\n${body}\n</think>\n\nThe answer is \\boxed{126}.\n`);
  return file;
}

/**
 * A chat completion whose every token lists two candidates: odd tokens are the first choice
 * (rank 1), even ones are not listed (rank above 2).
 */
function completionWithCandidates(stepCount: number): string {
  const steps = Array.from({ length: stepCount }, (_, i) => `Step${i} adds ${i} to the total, giving ${i * 3} now.`);
  const content = `<think>\n${steps.join('\n\n')}\n</think>\n\nThe answer is 42.`;
  const tokens = content.match(/\s*\S+|\s+$/g) ?? [];
  const lp = tokens.map((token, i) => ({
    token, logprob: i % 2 ? -0.05 : -3.5 - (i % 7),
    top_logprobs: i % 2 ? [{ token, logprob: -0.05 }, { token: 'x', logprob: -3 }] : [{ token: 'y', logprob: -0.2 }, { token: 'z', logprob: -1.9 }],
  }));
  return JSON.stringify({ object: 'chat.completion', model: 'synthetic', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: lp } }] });
}

describe('Editor: the first hour', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    await vscode.commands.executeCommand(CommandIds.switchMetric, 'firstTokenSurprisal');
    await vscode.commands.executeCommand(CommandIds.toggleTokenView, 'off');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand(CommandIds.toggleTokenView, 'off');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('colours a trace without logprobs on open with the embedded model, in the background, within scoreOnOpen.maxTokens', async function () {
    if (!hasModel) this.skip();
    this.timeout(120_000);
    const small = uniqueTrace('score-on-open.md', 12);
    const big = uniqueTrace('score-on-open-big.md', 400);
    await withSetting('scoreOnOpen.maxTokens', 5000, async () => {
      await vscode.window.showTextDocument(small);
      let sawScoring = false;
      const scored = await waitForEditor(small, (d) => {
        sawScoring ||= d.scoring === true && /Scoring/.test(d.statusBar.scoring ?? '');
        return d.scored === true && d.decorations !== null && allHeat(d.decorations).length === d.steps;
      }, 'scored on open', 90_000);
      assert.ok(sawScoring, 'the status bar never showed the background scoring');
      assert.notEqual(scored.scoreSource, 'file');
      assert.doesNotMatch(scored.statusBar.text, /~/, 'exact token counts once scored');
      assert.equal(scored.statusBar.scoring, undefined, 'the scoring item is gone when done');

      // ~8,000 tokens: over the limit, so opening it starts no model.
      await vscode.window.showTextDocument(big);
      await waitForEditor(big, (d) => d.statusBar.visible && d.steps === 400, 'big trace open');
      await sleep(1500);
      const untouched = await describeEditor(big);
      assert.equal(untouched.scored, false, 'a trace over scoreOnOpen.maxTokens was scored on open');
      assert.equal(untouched.scoring, false);
    });
  });

  it('cancels background scoring from its status-bar item; the trace stays as it was', async function () {
    if (!hasModel) this.skip();
    this.timeout(120_000);
    const long = uniqueTrace('score-on-open-cancel.md', 800);
    await withSetting('scoreOnOpen.maxTokens', 100_000, async () => {
      await vscode.window.showTextDocument(long);
      await waitForEditor(long, (d) => d.scoring === true, 'background scoring started', 30_000);
      assert.equal(await vscode.commands.executeCommand(CommandIds.cancelScoring), true);
      const after = await waitForEditor(long, (d) => d.scoring === false, 'background scoring stopped', 10_000);
      assert.equal(after.scored, false);
      assert.equal(after.statusBar.scoring, undefined);
      assert.equal(await vscode.commands.executeCommand(CommandIds.cancelScoring), false, 'nothing left to cancel');
    });
  });

  it('a metric the trace has no values for falls back to one it has, and the status bar says so', async () => {
    const ta = workspaceFile('thought-anchors-problem-2189-incorrect', 'base_solution.json');
    const taView = (await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, ta))!;
    await vscode.commands.executeCommand(CommandIds.switchMetric, 'importance');
    try {
      const importance = await waitForEditor(taView, (d) => d.decorations?.metric === 'importance', 'importance heat');
      assert.equal(importance.fallback, false);
      // The next trace has logprobs but no importance: coloured by first-token surprisal, saying why.
      const file = workspaceFile('fallback-logprobs.json');
      writeFileSync(file.fsPath, completionWithCandidates(10));
      const view = (await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, file))!;
      const next = await waitForEditor(view, (d) => d.scored === true && d.decorations !== null && allHeat(d.decorations).length === 10, 'coloured by a stand-in');
      assert.equal(next.metric, 'importance', 'the choice is kept');
      assert.equal(next.shownMetric, 'firstTokenSurprisal');
      assert.equal(next.fallback, true);
      assert.equal(next.decorations!.metric, 'firstTokenSurprisal');
      assert.match(next.statusBar.text, /first-token surprisal \(no importance \(file\) here\)/);
      assert.match(next.statusBar.tooltip, /has no importance \(file\) values, so its steps are coloured by first-token surprisal/);
      // Back on the Thought-Anchors trace, the choice applies again.
      await vscode.commands.executeCommand(CommandIds.openTraceView, ta);
      const back = await waitForEditor(taView, (d) => d.decorations?.metric === 'importance' && d.statusBar.text.includes('importance'), 'importance again');
      assert.equal(back.fallback, false);
    } finally {
      await vscode.commands.executeCommand(CommandIds.switchMetric, 'firstTokenSurprisal');
    }
  });

  it('the status-bar legend shows the real heat colours and the score range of each step', async () => {
    const file = workspaceFile('legend-logprobs.json');
    writeFileSync(file.fsPath, completionWithCandidates(25));
    const view = (await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, file))!;
    const d = await waitForEditor(view, (x) => x.scored === true && x.statusBar.tooltip.includes('Heat:'), 'legend');
    for (const id of HEAT_COLOR_IDS) assert.ok(d.statusBar.tooltip.includes(`background-color:var(${themeColourVariable(id)});`), `no swatch of ${id}`);
    const rows = d.statusBar.tooltip.split('\n').filter((l) => l.includes('background-color:var('));
    assert.equal(rows.length, 5);
    assert.ok(rows.every((r) => /\| (coolest|cool|middle|warm|hottest) \| (-?[\d.,]+ – -?[\d.,]+ nats|—) \|/.test(r)), rows.join('\n'));
  });

  it('CodeLens: off above 200 steps and for sentence steps, one lens line per step when on', async () => {
    const response = workspaceFile('codeforces-r1-cot-174', 'response.md');
    await vscode.window.showTextDocument(response);
    await waitForEditor(response, (d) => d.steps !== null && d.steps > 200, 'codeforces open');
    assert.equal((await stepLenses(response)).length, 0, 'lenses on a 313-step trace');
    assert.equal((await describeEditor(response)).codeLens?.skipped, 'too-many-steps');
    await withSetting('codeLens', 'on', async () => {
      const lenses = await stepLenses(response);
      const lines = new Set(lenses.map((l) => l.range.start.line));
      assert.ok(lenses.length > 0);
      assert.equal(lenses.length, 2 * lines.size, 'two lenses (keep or drop, pin) on each lens line, one line per step');
    });
    // Sentence steps: several start on one line.
    const sentences = workspaceFile('sentences.md');
    writeFileSync(sentences.fsPath, '<think>\nFirst we add the two numbers together. Then we carry the one into the tens. So the sum is 42 in the end.\n\nNow we check the result once more. It holds for both of the cases we saw.\n</think>\n\n42\n');
    await withSetting('segmentation', 'sentence', async () => {
      const editor = await vscode.window.showTextDocument(sentences);
      const trace = (await readTraces(sentences.fsPath)).traces[0]!;
      const ranges = expectedRanges(editor.document, trace, segment(trace.reasoning, 'sentence'));
      const firstOnLine = ranges.map((r, i) => i).filter((i) => i === 0 || ranges[i]![0] !== ranges[i - 1]![0]);
      assert.ok(ranges.length > firstOnLine.length, 'the text has several sentences on a line');
      await waitForEditor(sentences, (d) => d.steps === ranges.length, 'sentence steps');
      assert.equal((await stepLenses(sentences)).length, 0, 'lenses with sentence steps');
      assert.equal((await describeEditor(sentences)).codeLens?.skipped, 'sentence-steps');
      await withSetting('codeLens', 'on', async () => {
        const lenses = await stepLenses(sentences);
        assert.equal(lenses.length, 2 * firstOnLine.length, 'one lens line on each line, not one per sentence');
        assert.deepEqual([...new Set(lenses.map((l) => l.command!.arguments![1]))], firstOnLine, 'the first step of each line');
      });
    });
  });

  it('the line-number menu drops, keeps and explains the step of its line', async () => {
    const file = workspaceFile('codeforces-r1-cot-174', 'response.md');
    const editor = await vscode.window.showTextDocument(file);
    const trace = (await readTraces(file.fsPath)).traces[0]!;
    const ranges = expectedRanges(editor.document, trace, segment(trace.reasoning, 'auto'));
    const line = ranges[6]![0];
    await vscode.commands.executeCommand(CommandIds.dropStep, { lineNumber: line + 1, uri: file });
    const dropped = await waitForEditor(file, (d) => d.kept !== null && !d.kept.includes(6), 'step 7 dropped from its line');
    assert.equal(dropped.kept!.length, ranges.length - 1);
    const why = await vscode.commands.executeCommand<{ index: number; kept: boolean }>(CommandIds.whyDropped, { lineNumber: line + 1, uri: file });
    assert.equal(why?.index, 6);
    assert.equal(why?.kept, false);
    await vscode.commands.executeCommand(CommandIds.keepStep, { lineNumber: line + 1, uri: file });
    await waitForEditor(file, (d) => d.kept !== null && d.kept.length === ranges.length, 'kept again');
  });

  it('dangling references are Problems on their uses, with a quick fix that keeps the source step', async () => {
    const file = workspaceFile('dangling.md');
    writeFileSync(file.fsPath, '<think>\nThe garden is 4 by 9 metres.\n\nArea = 4 * 9 = 36 square metres.\n\nHalf of 36 is 18, and5 is a typo.\n\nSo each half is 18.\n</think>\n\n18\n');
    const editor = await vscode.window.showTextDocument(file);
    await waitForEditor(file, (d) => d.steps === 4, 'dangling trace');
    await vscode.commands.executeCommand(CommandIds.dropStep, file.toString(), 1);
    const state = await waitForEditor(file, (d) => d.dangling.length > 0, 'a dangling-reference diagnostic');
    const text = editor.document.getText();
    const use = editor.document.positionAt(text.indexOf('36 is 18'));
    assert.deepEqual(state.dangling.map((x) => [x.range, x.sourceStep]), [[[use.line, use.character, use.line, use.character + 2], 1]]);
    assert.match(state.dangling[0]!.message, /step 3 uses the number 36, which only step 2 introduces/);
    const problems = vscode.languages.getDiagnostics(file).filter((x) => x.source === 'Reasoning Lens');
    assert.equal(problems.length, 1, 'one Problem, no typo fragment ("and5")');
    assert.equal(problems[0]!.relatedInformation?.[0]?.location.range.start.line, editor.document.positionAt(text.indexOf('36 square')).line);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', file, problems[0]!.range)) ?? [];
    const fix = actions.find((a) => a.title === 'Keep the source step (step 2)');
    assert.ok(fix?.command, `no quick fix among ${actions.map((a) => a.title).join(', ')}`);
    await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
    const fixed = await waitForEditor(file, (d) => d.dangling.length === 0 && d.kept!.includes(1), 'source step kept, no Problems');
    assert.deepEqual(fixed.kept, [0, 1, 2, 3]);
    assert.match((await describePruning()).undoLabel ?? '', /keep source step 2/);
  });

  it('Set Budget… re-prunes the trace as one undoable step and says what changed; a rule-based plan far from its budget says why', async () => {
    const file = workspaceFile('budget-logprobs.json');
    writeFileSync(file.fsPath, completionWithCandidates(20));
    const view = (await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, file))!;
    await waitForEditor(view, (d) => d.scored === true, 'scored from file');
    const first = (await vscode.commands.executeCommand<PrunePlan>(CommandIds.pruneWith, 'asap', '80%'))!;
    await vscode.commands.executeCommand(CommandIds.setBudget, '50%');
    const after = await describePruning();
    assert.ok(after.plan!.kept.length < first.kept.length, 'a smaller budget keeps fewer steps');
    assert.ok(after.tokens!.after <= after.plan!.budget!.target);
    assert.match(after.undoLabel ?? '', /budget 50%/);
    assert.match(after.budgetReport ?? '', new RegExp(`^Budget 50%: .* now keeps ${after.plan!.kept.length} of 20 steps .*\\(was ${first.kept.length} steps`));
    await vscode.commands.executeCommand(CommandIds.undoPruning);
    assert.deepEqual((await describePruning()).plan!.kept, first.kept, 'one undo brings the 80% plan back');
    await vscode.commands.executeCommand(CommandIds.setBudget, '80%');

    // A rule-based method under a budget it does not aim at: the warning says so.
    await vscode.commands.executeCommand(CommandIds.pruneWith, 'loops', '20%');
    assert.match((await describePruning()).budgetWarning ?? '', /rule-based.*does not aim at a budget/);
  });

  it('the token view colours every token by surprisal, then by rank, from the file; the step heat steps aside', async () => {
    const file = workspaceFile('tokens-logprobs.json');
    writeFileSync(file.fsPath, completionWithCandidates(12));
    const view = (await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, file))!;
    await waitForEditor(view, (d) => d.scored === true && allHeat(d.decorations!).length === 12, 'step heat');
    const table = tokenTableFromFile((await readTraces(file.fsPath)).traces[0]!)!;
    for (const mode of ['surprisal', 'rank'] as const) {
      assert.equal(await vscode.commands.executeCommand(CommandIds.toggleTokenView, mode), mode);
      const expected = colourTokens(table, mode).legend.map((r) => r.tokens);
      const d = await waitForEditor(view, (x) => x.appliedTokenView?.mode === mode, `token view by ${mode}`);
      assert.deepEqual(d.appliedTokenView!.tokens, expected);
      assert.ok(expected.filter((n) => n > 0).length >= 2, `${mode}: several buckets used`);
      assert.equal(allHeat(d.decorations!).length, 0, 'no step backgrounds under the token view');
      assert.match(d.statusBar.text, new RegExp(`tokens by ${mode}`));
      assert.match(d.statusBar.tooltip, new RegExp(`Token view: every token by its ${mode === 'rank' ? 'rank' : 'surprisal'}`));
    }
    // Ranks from two listed candidates: even tokens are "above 2", shown as rank 3 (top 10).
    const ranked = await describeEditor(view);
    assert.match(ranked.appliedTokenView!.note ?? '', /not among the 2 candidates/);
    const document = vscode.window.activeTextEditor!.document;
    const hover = await hoverText(view, document.positionAt(document.getText().indexOf('Step3 adds') + 7));
    assert.match(hover, /Token\*\* "\w+": surprisal [\d.]+ nats \(p [\d.]+%\), rank (1|above 2)/);
    assert.equal(await vscode.commands.executeCommand(CommandIds.toggleTokenView), 'off');
    const off = await waitForEditor(view, (x) => x.appliedTokenView === null && allHeat(x.decorations!).length === 12, 'step heat back');
    assert.equal(off.tokenView, 'off');
  });

  it('the token view ranks tokens by the embedded model over its whole vocabulary', async function () {
    if (!hasModel) this.skip();
    this.timeout(120_000);
    const file = uniqueTrace('rank-by-model.md', 8);
    await vscode.window.showTextDocument(file);
    assert.equal(await vscode.commands.executeCommand(CommandIds.scoreTrace), true);
    const scored = await waitForEditor(file, (d) => d.scored === true, 'model scores', 60_000);
    assert.equal(scored.hasRanks, true);
    await vscode.commands.executeCommand(CommandIds.toggleTokenView, 'rank');
    const d = await waitForEditor(file, (x) => x.appliedTokenView?.mode === 'rank', 'rank view');
    assert.equal(d.appliedTokenView!.note, undefined, 'exact ranks need no note');
    assert.ok(d.appliedTokenView!.tokens.filter((n) => n > 0).length >= 3, `buckets ${d.appliedTokenView!.tokens}`);
    assert.ok(d.appliedTokenView!.tokens[0]! > 0, 'some tokens are the model\'s first choice');
  });

  it('colours steps by repetition and the hover names the loop', async () => {
    const cycle = ['Check the first case again.', 'It gives 7, not 8, so recount the items one by one.', 'Recount: the total is still 7 after the check.'];
    const steps = ['We need the count of items in the box.', ...Array.from({ length: 5 }, () => cycle).flat(), 'So the answer is 7.'];
    const file = workspaceFile('looping.md');
    writeFileSync(file.fsPath, `<think>\n${steps.join('\n\n')}\n</think>\n\n7\n`);
    const editor = await vscode.window.showTextDocument(file);
    await vscode.commands.executeCommand(CommandIds.switchMetric, 'repetition');
    try {
      const d = await waitForEditor(file, (x) => x.decorations?.metric === 'repetition' && allHeat(x.decorations).length === steps.length, 'repetition heat');
      const trace = (await readTraces(file.fsPath)).traces[0]!;
      const ranges = expectedRanges(editor.document, trace, segment(trace.reasoning, 'auto'));
      // The repeats are hot, the first step and the first occurrence of the cycle are cool.
      assert.ok(d.decorations!.heat[4]!.some((r) => JSON.stringify(r) === JSON.stringify(ranges[10])), 'a repeat is not in the hottest step');
      assert.ok(d.decorations!.heat[0]!.some((r) => JSON.stringify(r) === JSON.stringify(ranges[0])), 'the opening step is not cool');
      const hover = await hoverText(file, new vscode.Position(ranges[10]![0], ranges[10]![1] + 2));
      assert.match(hover, /Loop:.*steps 2-16: a 3-step cycle repeated 5 times/);
      assert.match(hover, /repeat 4 of 5/);
    } finally {
      await vscode.commands.executeCommand(CommandIds.switchMetric, 'firstTokenSurprisal');
    }
  });

  it('settings changed from the UI go to the user settings, or to the workspace where the user keeps them; no .vscode/settings.json appears', async () => {
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const workspaceSettings = join(folder, '.vscode', 'settings.json');
    rmSync(join(folder, '.vscode'), { recursive: true, force: true });
    const config = () => vscode.workspace.getConfiguration('reasoningLens');
    await vscode.window.showTextDocument(workspaceFile('codeforces-r1-cot-174', 'response.md'));
    try {
      // The side panel's "Steps" select, through the panel host's request handler.
      await vscode.commands.executeCommand(CommandIds.panelRequest, { kind: 'setSegmentation', segmentation: 'sentence' });
      assert.equal(config().inspect('segmentation')?.globalValue, 'sentence');
      assert.equal(existsSync(workspaceSettings), false, 'the panel created .vscode/settings.json');
      // The palette's "Split Steps By…".
      assert.equal(await vscode.commands.executeCommand(CommandIds.setSegmentation, 'paragraph'), 'paragraph');
      assert.equal(config().inspect('segmentation')?.globalValue, 'paragraph');
      assert.equal(existsSync(workspaceSettings), false, 'the palette created .vscode/settings.json');
    } finally {
      await config().update('segmentation', undefined, vscode.ConfigurationTarget.Global);
    }
    // A workspace setting the user chose is changed where it is (else the change would not apply).
    await withWorkspaceSettings({ 'reasoningLens.segmentation': 'heading' }, async () => {
      await vscode.commands.executeCommand(CommandIds.panelRequest, { kind: 'setSegmentation', segmentation: 'marker' });
      assert.equal(config().inspect('segmentation')?.workspaceValue, 'marker');
      assert.equal(config().inspect('segmentation')?.globalValue, undefined);
      assert.match(readFileSync(workspaceSettings, 'utf8'), /"reasoningLens.segmentation":\s*"marker"/);
    });
  });
});
