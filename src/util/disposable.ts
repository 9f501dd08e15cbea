/**
 * One Disposable base for the whole extension (pattern from vscode-extension-samples' custom editor
 * sample and microsoft/vscode-hexeditor). Structural typing keeps it free of a runtime `vscode` import.
 */
export interface IDisposable {
  dispose(): void;
}

/** Disposes every item, collecting (not swallowing) errors so one bad disposable cannot leak the rest. */
export function disposeAll(disposables: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const d of disposables) {
    try {
      d.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
}

/** Base class: subclasses `_register()` what they own; `dispose()` releases it all once. */
export abstract class Disposable implements IDisposable {
  private _disposed = false;
  private readonly _disposables = new Set<IDisposable>();

  protected get isDisposed(): boolean {
    return this._disposed;
  }

  /** Takes ownership of `value`; disposes it at once if this object is already disposed. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this._disposed) {
      value.dispose();
    } else {
      this._disposables.add(value);
    }
    return value;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const items = [...this._disposables];
    this._disposables.clear();
    disposeAll(items);
  }
}
