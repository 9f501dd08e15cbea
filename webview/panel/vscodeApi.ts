/** The webview's handle on the host. `acquireVsCodeApi` may be called once per page. */
import type { FromWebview } from '../../src/shared/protocol';

interface VsCodeApi<State> {
  postMessage(message: FromWebview): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

let api: VsCodeApi<unknown> | undefined;

/** The page's one VS Code API object. */
export function vscodeApi<State>(): VsCodeApi<State> {
  api ??= acquireVsCodeApi<unknown>();
  return api as VsCodeApi<State>;
}
