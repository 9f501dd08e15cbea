import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

/**
 * The one place that writes webview HTML. Strict CSP: `default-src 'none'`, scripts only with a
 * per-render nonce from `crypto.randomBytes` (never Math.random), no `unsafe-inline`/`unsafe-eval`,
 * resources only from the extension's own built webview and media folders.
 */
export interface WebviewPage {
  readonly title: string;
  /** Script path relative to the extension root, e.g. `out/webview/panel.js`. */
  readonly script: string;
  /** Style sheet paths relative to the extension root. */
  readonly styles: readonly string[];
  /** Custom element (or other static, trusted markup) that the script fills in. */
  readonly bodyHtml: string;
  /**
   * Loads the codicon font and its style sheet (`out/webview/codicon.css`) under the id
   * `<vscode-icon>` looks for, so icons and icon buttons of `@vscode-elements/elements` render.
   */
  readonly codicons?: boolean;
}

/** Roots a webview may load from; pass to `localResourceRoots`. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'out', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** Builds the HTML for `webview`; every call makes a fresh nonce. */
export function renderWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(18).toString('base64');
  const asset = (path: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path.split('/'))).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const styles = [
    ...(page.codicons ? [`<link id="vscode-codicon-stylesheet" rel="stylesheet" href="${asset('out/webview/codicon.css')}">`] : []),
    ...page.styles.map((s) => `<link rel="stylesheet" href="${asset(s)}">`),
  ].join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${escapeHtml(page.title)}</title>
    ${styles}
  </head>
  <body>
    ${page.bodyHtml}
    <script type="module" nonce="${nonce}" src="${asset(page.script)}"></script>
  </body>
</html>`;
}

/** Escapes text for HTML element content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
