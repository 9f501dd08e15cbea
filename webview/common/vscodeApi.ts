/** The webview's handle on the host. `acquireVsCodeApi` may be called once per page: this is that once. */

/** What VS Code gives a webview page. */
export interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown>;

let api: VsCodeApi<unknown> | undefined;

/** The page's one VS Code API object. */
export function vscodeApi<State>(): VsCodeApi<State> {
  api ??= acquireVsCodeApi();
  return api as VsCodeApi<State>;
}
