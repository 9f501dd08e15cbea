/**
 * Every command id in one place (package.json `contributes.commands` must list the same ids; a unit
 * test checks both directions).
 */
export const CommandIds = {
  openSample: 'reasoningLens.openSample',
  showPanel: 'reasoningLens.showPanel',
  /** Internal: asks the side panel what it renders (used by tests and diagnostics). */
  describePanel: 'reasoningLens.internal.describePanel',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];

/** Id of the side-panel webview view (package.json `contributes.views`). */
export const PanelViewId = 'reasoningLens.panel';
