import { css } from 'lit';

/** Fixed row height (px): virtualisation places row `i` at `i * ROW_HEIGHT`. */
export const ROW_HEIGHT = 24;

/** The dataset browser's styles: theme colours only (`--vscode-*`), high-contrast borders for hover and selection. */
export const datasetStyles = css`
  :host { display: flex; flex-direction: column; height: 100vh; box-sizing: border-box; padding: 8px 12px 0; gap: 6px; }
  header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
  h1 { font-size: 1.1em; font-weight: 600; margin: 0; overflow-wrap: anywhere; }
  .status { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
  .filter { display: flex; align-items: center; gap: 8px; }
  vscode-textfield { flex: 1; max-width: 40em; }
  .filter-error, .message { color: var(--vscode-errorForeground); }
  .hint { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
  vscode-progress-bar { width: 100%; }
  .grid { flex: 1; display: flex; flex-direction: column; min-height: 0; border-top: 1px solid var(--vscode-editorGroup-border, var(--vscode-panel-border)); }
  .grid:focus { outline: none; }
  .grid:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
  .header-row, .row { display: grid; grid-template-columns: var(--columns); align-items: center; }
  .header-row { border-bottom: 1px solid var(--vscode-editorGroup-border, var(--vscode-panel-border)); background: var(--vscode-editor-background); }
  .header-row button {
    all: unset; box-sizing: border-box; width: 100%; padding: 4px 6px; font-weight: 600; cursor: pointer;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: var(--vscode-foreground);
  }
  .header-row button.numeric { text-align: right; }
  .header-row button:hover { background: var(--vscode-list-hoverBackground); }
  .header-row button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
  .numeric { text-align: right; }
  .body { flex: 1; overflow: auto; position: relative; }
  .spacer { position: relative; width: 100%; }
  .row { position: absolute; left: 0; right: 0; height: ${ROW_HEIGHT}px; cursor: default; }
  /* High-contrast themes have no selection backgrounds: their contrast borders mark hover and selection. */
  .row:hover { background: var(--vscode-list-hoverBackground); outline: 1px dashed var(--vscode-contrastActiveBorder, transparent); outline-offset: -1px; }
  .row[aria-selected='true'] {
    background: var(--vscode-list-inactiveSelectionBackground); color: var(--vscode-list-inactiveSelectionForeground, inherit);
    outline: 1px dotted var(--vscode-contrastActiveBorder, transparent); outline-offset: -1px;
  }
  .grid:focus .row[aria-selected='true'] {
    background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground);
    outline: 1px solid var(--vscode-list-focusOutline, var(--vscode-contrastActiveBorder, transparent)); outline-offset: -1px;
  }
  .cell { padding: 0 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: ${ROW_HEIGHT}px; }
  .row.error .cell.message-cell { color: var(--vscode-errorForeground); grid-column: 3 / -1; }
  .row.placeholder .cell { color: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); }
  .yes { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
  .no { color: var(--vscode-testing-iconFailed, var(--vscode-errorForeground)); }
  .muted { color: var(--vscode-descriptionForeground); }
  .warn { color: var(--vscode-editorWarning-foreground, var(--vscode-charts-orange)); }
  .fields { color: var(--vscode-descriptionForeground); font-size: 0.9em; margin-left: auto; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
  .tabs { display: flex; gap: 2px; border-bottom: 1px solid var(--vscode-editorGroup-border, var(--vscode-panel-border)); }
  .tabs button, button.toggle {
    all: unset; box-sizing: border-box; padding: 4px 10px; cursor: pointer; color: var(--vscode-descriptionForeground);
    border-bottom: 2px solid transparent;
  }
  .tabs button:hover, button.toggle:hover { color: var(--vscode-foreground); }
  .tabs button[aria-selected='true'] { color: var(--vscode-foreground); border-bottom-color: var(--vscode-focusBorder); font-weight: 600; }
  .tabs button:focus-visible, button.toggle:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
  button.toggle { border: 1px solid var(--vscode-button-secondaryBackground, var(--vscode-contrastBorder, transparent)); border-radius: 2px; padding: 2px 8px; }
  button.toggle[aria-pressed='true'] { color: var(--vscode-foreground); background: var(--vscode-button-secondaryBackground); border-color: var(--vscode-focusBorder); }
  .tab-panel { flex: 1; display: flex; flex-direction: column; min-height: 0; gap: 6px; }
  .tab-panel[hidden] { display: none; }
  rl-dashboard { flex: none; }
  .empty { padding: 16px 6px; color: var(--vscode-descriptionForeground); }
`;
