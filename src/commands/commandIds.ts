/**
 * Every command id in one place (package.json `contributes.commands` must list the same ids; an
 * integration test checks both directions).
 */
export const CommandIds = {
  openSample: 'reasoningLens.openSample',
  showPanel: 'reasoningLens.showPanel',
  /** Moves the side panel to another part of the window (VS Code's own "Move View" picker for it). */
  movePanel: 'reasoningLens.movePanel',
  /** Internal: asks the side panel what it renders (used by tests and diagnostics). */
  describePanel: 'reasoningLens.internal.describePanel',
  // Side panel (src/panel)
  compareOriginalPruned: 'reasoningLens.compareOriginalPruned',
  /** Internal: sends a request to the side panel's host as the webview would (tests). */
  panelRequest: 'reasoningLens.internal.panelRequest',
  // Editor experience (src/editor; models and backends: src/commands/modelCommands.ts)
  openTraceView: 'reasoningLens.openTraceView',
  toggleStep: 'reasoningLens.toggleStep',
  keepStep: 'reasoningLens.keepStep',
  dropStep: 'reasoningLens.dropStep',
  pinStep: 'reasoningLens.pinStep',
  nextSurprisingStep: 'reasoningLens.nextSurprisingStep',
  previousSurprisingStep: 'reasoningLens.previousSurprisingStep',
  switchMetric: 'reasoningLens.switchMetric',
  toggleTokenView: 'reasoningLens.toggleTokenView',
  setSegmentation: 'reasoningLens.setSegmentation',
  scoreTrace: 'reasoningLens.scoreTrace',
  /** Stops the background scoring of a trace that was opened (the status-bar item's click). */
  cancelScoring: 'reasoningLens.cancelScoring',
  selectBackend: 'reasoningLens.selectBackend',
  setEndpointApiKey: 'reasoningLens.setEndpointApiKey',
  pickModelFolder: 'reasoningLens.pickModelFolder',
  selectModel: 'reasoningLens.selectModel',
  /** Internal: what the editor last applied (decorations, status bar), for tests and diagnostics. */
  describeEditor: 'reasoningLens.internal.describeEditor',
  // Dataset browser (src/dataset)
  openDataset: 'reasoningLens.openDataset',
  /** Internal: drives and describes the active dataset browser (tests and diagnostics). */
  datasetInternal: 'reasoningLens.internal.dataset',
  // Pruning and export (src/commands/pruneCommands.ts, exportCommand.ts)
  pruneWith: 'reasoningLens.pruneWith',
  setBudget: 'reasoningLens.setBudget',
  resetPruning: 'reasoningLens.resetPruning',
  undoPruning: 'reasoningLens.undoPruning',
  redoPruning: 'reasoningLens.redoPruning',
  whyDropped: 'reasoningLens.whyDropped',
  checkDangling: 'reasoningLens.checkDanglingReferences',
  /** The quick fix of a dangling-reference diagnostic (arguments: document URI, source steps). */
  keepSourceSteps: 'reasoningLens.keepSourceSteps',
  exportPruned: 'reasoningLens.exportPruned',
  /** Internal: the active plan, undo state and settings (tests and diagnostics). */
  describePruning: 'reasoningLens.internal.describePruning',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];

/** Id of the side-panel webview view (package.json `contributes.views`). */
export const PanelViewId = 'reasoningLens.panel';
